-- Past $max_bytes waiting for one target, the oldest requests go: returns how many.
WITH sized AS (
    SELECT id, sum(octet_length(body)) OVER (ORDER BY id DESC) AS newer_bytes
    FROM outbox WHERE target = $target
)
DELETE FROM outbox WHERE id IN (SELECT id FROM sized WHERE newer_bytes > $max_bytes)
RETURNING id

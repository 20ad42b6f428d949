-- The oldest requests waiting for a forward target, in the order they were accepted.
SELECT id, signal, body FROM outbox WHERE target = $target ORDER BY id LIMIT $limit

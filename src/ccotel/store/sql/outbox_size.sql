-- Requests and bytes waiting for one forward target.
SELECT count(*), coalesce(sum(octet_length(body)), 0) FROM outbox WHERE target = $target

-- Requests in [$from, $now] per account (the limits_requests macro in schema.sql), in
-- time order, as report_block_entries.sql gives them plus the session: for each account's
-- current 5-hour block and its cost today. $account (or NULL) keeps one.
SELECT * FROM limits_requests($since, $from, $now)
WHERE account IS NOT NULL AND ($account IS NULL OR account = $account)
ORDER BY account, ts

-- Who a session belongs to, from its telemetry since $since (the account rule of
-- limits_accounts.sql; the bound keeps this off the rest of the store).
SELECT max(user_email), max(account_uuid), max(user_id) FROM events
WHERE ts >= $since AND session_id = $s

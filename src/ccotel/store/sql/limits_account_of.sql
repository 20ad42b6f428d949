-- Who a session belongs to, from its telemetry (the account rule of limits_accounts.sql).
SELECT max(user_email), max(account_uuid), max(user_id) FROM events WHERE session_id = $s

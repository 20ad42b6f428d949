-- The user (id and e-mail) a session's telemetry names, for the prompt check.
SELECT arg_max(user_id, ts) AS user_id, arg_max(user_email, ts) AS user_email
FROM events
WHERE session_id = $session AND user_id IS NOT NULL

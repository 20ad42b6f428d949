-- The alerts that are pending or firing.
SELECT rule, key, state, value, message, since, fired_at, notified_at
FROM alert_state
ORDER BY rule, key

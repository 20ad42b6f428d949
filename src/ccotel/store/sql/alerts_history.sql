-- The most recent alert transitions (pending, firing, resolved), newest first.
SELECT ts, rule, key, state, value, message
FROM alert_history
ORDER BY ts DESC, rule, key
LIMIT $limit

-- What the sessions of $sessions cost in [$from, $to) by their statusline snapshots (the
-- session's running total): for accounts whose telemetry does not reach this server.
WITH per_session AS (
    SELECT session_id,
           max(cost_usd) FILTER (WHERE ts >= $from AND ts < $to) AS last_cost,
           max(cost_usd) FILTER (WHERE ts < $from) AS before_cost
    FROM limit_snapshots
    WHERE list_contains($sessions, session_id) AND ts < $to
    GROUP BY session_id
)
SELECT coalesce(sum(greatest(last_cost - coalesce(before_cost, 0), 0)), 0)
FROM per_session WHERE last_cost IS NOT NULL

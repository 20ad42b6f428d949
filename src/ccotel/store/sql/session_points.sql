-- What the session's metrics add to its events: lines, commits, PRs, active time, and
-- cost/tokens for sessions that sent metrics only.
SELECT metric_name, type, sum(value) AS value
FROM points
WHERE session_id = $session
GROUP BY ALL
ORDER BY metric_name, type

-- /metrics/claude-code: the events named in $events (the count connector's counters),
-- counted by the labels the collector gives them.
SELECT event_name, user_id, session_id, model, tool_name,
       CASE WHEN success IS NULL THEN NULL WHEN success THEN 'true' ELSE 'false' END AS success,
       resource, count(*) AS n
FROM events
WHERE list_contains($events::VARCHAR[], event_name)
GROUP BY ALL

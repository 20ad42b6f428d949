-- Per tool, for `ccotel report tools`: runs reported by telemetry (tool_result, with
-- success and duration; tool_decision for rejections) plus tool calls read from
-- transcripts that telemetry does not already have (same tool_use_id).
WITH telemetry_tools AS (
    SELECT DISTINCT tool_use_id FROM events
    WHERE source = 'telemetry' AND event_name IN ('tool_result', 'tool_decision')
      AND tool_use_id IS NOT NULL
),
ev AS (
    SELECT e.* FROM events e
    WHERE e.event_name IN ('tool_result', 'tool_decision', 'tool_use')
      AND e.tool_name IS NOT NULL
      AND ($from IS NULL OR e.ts >= $from)
      AND ($to IS NULL OR e.ts < $to)
      AND ($source = 'all' OR e.source = $source)
      AND (e.source = 'telemetry'
           OR e.tool_use_id IS NULL
           OR e.tool_use_id NOT IN (SELECT tool_use_id FROM telemetry_tools))
)
SELECT
    tool_name AS tool,
    count(*) FILTER (WHERE event_name IN ('tool_result', 'tool_use')) AS calls,
    count(*) FILTER (WHERE event_name = 'tool_result') AS telemetry_calls,
    count(*) FILTER (WHERE event_name = 'tool_use') AS transcript_calls,
    count(*) FILTER (WHERE event_name = 'tool_result' AND success = false) AS failures,
    count(*) FILTER (WHERE event_name = 'tool_decision' AND decision = 'reject') AS rejected,
    avg(duration_ms) FILTER (WHERE event_name = 'tool_result') AS avg_duration_ms,
    count(DISTINCT session_id) AS sessions,
    max(ts) AS last_ts
FROM ev
GROUP BY ALL
ORDER BY calls DESC, tool

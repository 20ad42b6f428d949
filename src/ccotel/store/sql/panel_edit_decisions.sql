-- Edit/Write/NotebookEdit permission decisions by tool and language
-- (claude_code.code_edit_tool.decision; older releases call the tool attribute `tool`,
-- which the decoder stores in tool_name too).
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events
    WHERE $model IS NOT NULL AND event_name = 'api_request' AND model = $model
      AND ts >= $from AND ts < $to
)
SELECT
    coalesce(tool_name, '(unknown)') AS tool,
    coalesce(language, '(unknown)') AS language,
    sum(value) FILTER (WHERE decision = 'accept') AS accept,
    sum(value) FILTER (WHERE decision = 'reject') AS reject
FROM points
WHERE metric_name = 'claude_code.code_edit_tool.decision'
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL
ORDER BY coalesce(accept, 0) + coalesce(reject, 0) DESC, tool, language

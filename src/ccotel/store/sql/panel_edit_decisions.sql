-- Edit/Write/NotebookEdit permission decisions by tool and language
-- (claude_code.code_edit_tool.decision; older releases call the tool attribute `tool`,
-- which the decoder stores in tool_name too).
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE $model IS NOT NULL AND requests > 0 AND model = $model
)
SELECT
    coalesce(tool_name, '(unknown)') AS tool,
    coalesce(language, '(unknown)') AS language,
    sum(accept)::DOUBLE AS accept,
    sum(reject)::DOUBLE AS reject
FROM edit_decisions_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL
ORDER BY coalesce(sum(accept), 0) + coalesce(sum(reject), 0) DESC, tool, language

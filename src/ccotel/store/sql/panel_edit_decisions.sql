-- Edit/Write/NotebookEdit permission decisions by tool and language
-- (claude_code.code_edit_tool.decision; older releases call the tool attribute `tool`,
-- which the decoder stores in tool_name too).
-- Whole hours [$rollup_from, $rollup_to) come from edit_decisions_hourly, the rest from
-- raw rows.
WITH decisions AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, tool_name, language, accept, reject
    FROM edit_decisions_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, tool_name, language,
           CASE WHEN decision = 'accept' THEN value END,
           CASE WHEN decision = 'reject' THEN value END
    FROM points
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND metric_name = 'claude_code.code_edit_tool.decision'
)
SELECT
    coalesce(tool_name, '(unknown)') AS tool,
    coalesce(language, '(unknown)') AS language,
    sum(accept) AS accept,
    sum(reject) AS reject
FROM decisions
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, model, session_id, $from, $to, $rollup_from, $rollup_to)
GROUP BY ALL
ORDER BY coalesce(sum(accept), 0) + coalesce(sum(reject), 0) DESC, tool, language

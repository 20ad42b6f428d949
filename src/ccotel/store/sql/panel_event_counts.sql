-- API requests, API errors and tool calls (api_request, api_error and tool_result events)
-- in the range, all at once: the request, error and tool-call stat panels.
-- With a model filter, events that carry no model (tool calls) count when their session
-- used that model in the range, rather than never.
-- Whole hours [$rollup_from, $rollup_to) come from events_hourly, the rest from raw rows.
WITH counted AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, requests, errors, tool_calls
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
      AND (requests > 0 OR errors > 0 OR tool_calls > 0)
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, CASE WHEN event_name = 'api_request' THEN 1 ELSE 0 END,
           CASE WHEN event_name = 'api_error' THEN 1 ELSE 0 END,
           CASE WHEN event_name = 'tool_result' THEN 1 ELSE 0 END
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name IN ('api_request', 'api_error', 'tool_result')
)
SELECT coalesce(sum(requests), 0) AS api_request, coalesce(sum(errors), 0) AS api_error,
       coalesce(sum(tool_calls), 0) AS tool_result
FROM counted
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, model, session_id, $from, $to, $rollup_from, $rollup_to)

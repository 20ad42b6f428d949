-- API errors and requests per time bucket: the error rate is errors / (requests + errors).
-- Whole hours [$rollup_from, $rollup_to) come from events_hourly, the rest from raw rows.
WITH counted AS (
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, errors, requests
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND (errors > 0 OR requests > 0)
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model,
           CASE WHEN event_name = 'api_error' THEN 1 ELSE 0 END,
           CASE WHEN event_name = 'api_request' THEN 1 ELSE 0 END
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name IN ('api_request', 'api_error')
)
SELECT
    epoch_ms(ts) // $step_ms AS bucket,
    sum(errors) AS errors,
    sum(requests) AS requests
FROM counted
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND ($model IS NULL OR model = $model)
GROUP BY ALL

-- Mean API response time (api_request duration_ms), as the seed's stat panel shows it.
-- Whole hours [$rollup_from, $rollup_to) come from events_hourly, the rest from raw rows.
WITH durations AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, duration_ms_sum, duration_ms_count
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND requests > 0
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, duration_ms, CASE WHEN duration_ms IS NOT NULL THEN 1 ELSE 0 END
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name = 'api_request'
)
SELECT
    sum(duration_ms_sum) / nullif(sum(duration_ms_count), 0) AS avg_ms,
    coalesce(sum(duration_ms_count), 0) AS requests
FROM durations
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND ($model IS NULL OR model = $model)

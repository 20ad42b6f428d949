-- Mean API response time (api_request duration_ms), as the seed's stat panel shows it.
SELECT
    sum(duration_ms_sum) / nullif(sum(duration_ms_count), 0) AS avg_ms,
    coalesce(sum(duration_ms_count), 0) AS requests
FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE requests > 0
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)

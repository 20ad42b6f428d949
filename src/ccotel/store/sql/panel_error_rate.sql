-- API errors and requests per time bucket: the error rate is errors / (requests + errors).
SELECT
    epoch_ms(ts) // $step_ms AS bucket,
    sum(errors) AS errors,
    sum(requests) AS requests
FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE (errors > 0 OR requests > 0)
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL

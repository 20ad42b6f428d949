-- API errors and requests per time bucket: the error rate is errors / (requests + errors).
SELECT
    epoch_ms(ts) // $step_ms AS bucket,
    count(*) FILTER (WHERE event_name = 'api_error') AS errors,
    count(*) FILTER (WHERE event_name = 'api_request') AS requests
FROM events
WHERE event_name IN ('api_request', 'api_error')
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL

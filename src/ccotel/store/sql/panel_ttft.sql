-- Median time to first token of API requests (ttft_ms of api_request events).
SELECT median(ttft_ms) AS ttft_p50
FROM events
WHERE event_name = 'api_request'
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)

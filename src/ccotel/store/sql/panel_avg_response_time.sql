-- Mean API response time (api_request duration_ms), as the seed's stat panel shows it.
SELECT avg(duration_ms) AS avg_ms, count(duration_ms) AS requests
FROM events
WHERE event_name = 'api_request'
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)

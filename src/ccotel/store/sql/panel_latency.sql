-- p50 and p95 of API response time and time to first token per time bucket.
SELECT
    epoch_ms(ts) // $step_ms AS bucket,
    -- One list call per column sorts each column once instead of once per quantile.
    quantile_cont(duration_ms, [0.5, 0.95]) AS duration_q,
    quantile_cont(ttft_ms, [0.5, 0.95]) AS ttft_q
FROM events
WHERE event_name = 'api_request'
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL

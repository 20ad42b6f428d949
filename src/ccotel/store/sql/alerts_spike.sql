-- Spike rules: events in [$from, $to) per user ($by = 'user') or in total.
SELECT CASE WHEN $by = 'user' THEN coalesce(user_id, user_email, '') ELSE '' END AS key,
       count(*) FILTER (WHERE event_name = 'api_request') AS requests,
       count(*) FILTER (WHERE event_name = 'api_error') AS errors,
       count(*) FILTER (WHERE event_name = 'api_retries_exhausted') AS retries_exhausted,
       count(*) FILTER (WHERE event_name = 'api_refusal') AS refusals
FROM events
WHERE source = 'telemetry' AND ts >= $from AND ts < $to
  AND event_name IN ('api_request', 'api_error', 'api_retries_exhausted', 'api_refusal')
GROUP BY 1

-- `ccotel export requests`: one row per API request (api_request event, from telemetry or
-- an imported transcript), counted as /api/v1/summary counts them.
SELECT ts, session_id, prompt_id, request_id, user_id, user_email, organization_id,
       terminal_type, coalesce(app_version, service_version) AS version, model, speed,
       effort, query_source, input_tokens, output_tokens, cache_read_tokens,
       cache_creation_tokens, cost_usd, duration_ms, ttft_ms, attempt, source, project,
       git_branch
FROM events
WHERE event_name = 'api_request'
  AND ts >= $from AND ts < $to
  AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND ($model IS NULL OR model = $model)

-- The requests of one account in [$from, $to), in time order, as report_block_entries.sql
-- gives them: its telemetry (email, account uuid or user.id) and the sessions its
-- snapshots name. For its cost in a window and its current 5-hour block.
SELECT
    e.ts,
    CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
    coalesce(e.input_tokens, 0) AS input_tokens,
    coalesce(e.output_tokens, 0) AS output_tokens,
    coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens,
    coalesce(e.cache_read_tokens, 0) AS cache_read_tokens,
    e.cost_usd::DOUBLE AS cost_usd,
    e.session_id
FROM events e
WHERE e.event_name = 'api_request'
  AND e.ts >= $from AND e.ts < $to
  AND e.source IN ('telemetry', 'transcript')
  AND (e.user_email = $account OR e.account_uuid = $account OR e.user_id = $account
       OR list_contains($sessions, e.session_id))
ORDER BY e.ts

-- Transcript rows already stored that a chunk of new rows (registered as
-- `import_candidates`) may duplicate: the same key, or the same message id (its copy with
-- another request id: a sidechain replay), counted or kept as a `transcript_copy` of a
-- request telemetry has. The importer decides which copy to keep.
SELECT
    e.event_key,
    e.session_id,
    e.request_id,
    e.attributes,
    e.input_tokens,
    e.output_tokens,
    e.cache_read_tokens,
    e.cache_creation_tokens,
    e.cost_usd::DOUBLE AS cost_usd,
    e.speed
FROM events e
WHERE e.source = 'transcript'
  AND (
    e.event_key IN (SELECT event_key FROM import_candidates)
    OR (e.event_name IN ('api_request', 'transcript_copy')
        AND split_part(e.event_key, ':', 2) IN (
            SELECT message_id FROM import_candidates WHERE message_id IS NOT NULL))
  )

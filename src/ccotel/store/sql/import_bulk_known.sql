-- Bulk import: surviving requests the store already has from telemetry.
SELECT count(*)
FROM import_bulk_decisions
WHERE NOT stored AND fate = 'keep' AND event_name = 'api_request'
  AND request_id IN (SELECT request_id FROM events
                     WHERE source = 'telemetry' AND event_name = 'api_request')

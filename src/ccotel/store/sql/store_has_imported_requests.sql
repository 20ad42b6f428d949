-- Whether the store holds requests imported from transcripts, which telemetry of the same
-- requests would relabel as copies.
SELECT EXISTS (SELECT 1 FROM events WHERE source <> 'telemetry' AND event_name = 'api_request')

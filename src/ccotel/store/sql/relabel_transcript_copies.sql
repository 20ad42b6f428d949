-- Telemetry (`source = 'telemetry'`) just brought api_request events (`batch_events`) that an earlier import had
-- already stored from transcripts: those transcript rows become copies, which nothing
-- counts, so every total holds each request once. (Imports do the same the other way
-- round.) A transcript line is written within moments of the event, hence the window.
UPDATE events SET event_name = 'transcript_copy'
WHERE source = 'transcript' AND event_name = 'api_request'
  AND ts BETWEEN (SELECT min(ts) FROM batch_events) - INTERVAL 1 HOUR
             AND (SELECT max(ts) FROM batch_events) + INTERVAL 1 HOUR
  AND request_id IN (SELECT request_id FROM batch_events
                     WHERE event_name = 'api_request' AND source = 'telemetry'
                       AND request_id IS NOT NULL)
RETURNING date_trunc('hour', ts) AS hour

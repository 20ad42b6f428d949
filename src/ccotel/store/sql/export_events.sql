-- `ccotel export events`: every stored event (log record) in [$from, $to) matching the
-- filters, all columns, in arrival order. Transcript rows that telemetry also has are kept
-- with event_name 'transcript_copy', which no total counts.
SELECT *
FROM events
WHERE ts >= $from AND ts < $to
  AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND ($model IS NULL OR model = $model)

-- `ccotel export events`: every stored event (log record) in [$from, $to) matching the
-- filters, all columns, in arrival order. Transcript rows that telemetry also has are kept
-- with event_name 'transcript_copy', which no total counts.
SELECT *
FROM events
WHERE ts >= $from AND ts < $to
  AND event_name IS DISTINCT FROM 'ccotel.git'  -- a git record, not an event
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model)
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)

-- The Claude Code Logs panel, step 1: which events, newest first (rowids only, so the
-- top-N sorts two columns, not whole rows). With $after (a cursor: the rowid of the
-- newest event seen) only those stored since, for the live tail: rowid grows with every
-- insert, so an event that arrives late is still found after its cursor.
-- No model filter here: its session subquery would turn the cheap top-N into a full
-- scan, so a model filter goes to logs_events_model.sql instead.
SELECT rowid AS cursor
FROM events
WHERE ts >= $from AND ts < $to
  AND ($after IS NULL OR rowid > $after)
  AND event_name IS DISTINCT FROM 'transcript_copy'  -- counted once, as telemetry
  AND ($event IS NULL OR event_name = $event)
  AND ($text IS NULL OR contains(lower(concat_ws(' ', event_name, session_id, user_id,
        user_email, model, tool_name, request_id, prompt_id, error, error_type, body,
        attributes::VARCHAR)), lower($text)))
  AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
ORDER BY ts DESC, rowid DESC
LIMIT $limit

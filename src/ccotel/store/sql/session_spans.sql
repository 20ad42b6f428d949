-- The spans of one session (beta traces): by session.id, or by a trace its events name.
SELECT trace_id, span_id, parent_span_id, name, kind, ts, start_unix_nano, end_unix_nano,
       duration_ms, status_code, status_message, attributes, events
FROM spans
WHERE session_id = $session
   OR trace_id IN (SELECT DISTINCT trace_id FROM events
                   WHERE session_id = $session AND trace_id IS NOT NULL)
ORDER BY start_unix_nano, end_unix_nano DESC
LIMIT $limit

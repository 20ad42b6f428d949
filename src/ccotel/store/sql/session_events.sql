-- Every event of one session, in order: the session page's timeline.
SELECT rowid AS cursor, *
FROM events
WHERE session_id = $session AND event_name IS DISTINCT FROM 'transcript_copy'
ORDER BY ts, event_sequence NULLS LAST, rowid
LIMIT $limit

-- Every event of one session, in order: the session page's timeline.
SELECT rowid AS cursor, *
FROM events
WHERE session_id = $session
  -- counted once, as telemetry; a git record names the repo, it is not an event
  AND coalesce(event_name, '') NOT IN ('transcript_copy', 'ccotel.git')
ORDER BY ts, event_sequence NULLS LAST, rowid
LIMIT $limit

-- Remove telemetry older than the cutoff (a TIMESTAMP parameter). History imported from
-- transcripts stays: the user asked for it, and the importer would not read it again. So
-- does the git record (repo and branch) of a session that has such history.
DELETE FROM events WHERE ts < $cutoff AND source = 'telemetry'
  AND (event_name IS DISTINCT FROM 'ccotel.git'
       OR session_id NOT IN (SELECT session_id FROM events
                             WHERE source <> 'telemetry' AND session_id IS NOT NULL));
DELETE FROM points WHERE ts < $cutoff;
DELETE FROM spans WHERE ts < $cutoff;
DELETE FROM limit_snapshots WHERE ts < $cutoff;

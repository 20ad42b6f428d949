-- Sessions imported from transcripts that name the folder they ran in and have no repo
-- recorded yet (no `ccotel.git` record): their last folder and branch, for
-- importer/gitrecord.py to record after a bulk import.
SELECT session_id, arg_max(project, ts) AS cwd, arg_max(git_branch, ts) AS branch
FROM events
WHERE source = 'transcript' AND session_id IS NOT NULL AND project IS NOT NULL
  AND session_id NOT IN (SELECT session_id FROM events
                         WHERE event_name = 'ccotel.git' AND session_id IS NOT NULL)
GROUP BY session_id

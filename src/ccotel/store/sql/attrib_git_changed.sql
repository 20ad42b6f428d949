-- The sessions whose git facts may have changed when raw events of [$start, $end) changed
-- other than by an insert the writer merged (the importer's deletes and inserts,
-- retention): those with rows holding facts there now, and those whose stored facts came
-- from there (that row may be gone). Only the hours in $hours count (NULL: all of them).
-- Kept in a temp table for attrib_git_refresh.sql; returns how many.
CREATE OR REPLACE TEMP TABLE session_git_todo AS
SELECT session_id FROM events
WHERE ts >= $start AND ts < $end AND session_id IS NOT NULL
  AND ($hours::TIMESTAMP[] IS NULL OR date_trunc('hour', ts) IN (SELECT unnest($hours::TIMESTAMP[])))
  AND (project IS NOT NULL OR git_branch IS NOT NULL OR event_name = 'ccotel.git')
UNION
SELECT session_id FROM session_git
CROSS JOIN unnest([repo_ts, branch_ts, project_ts]) AS f(ts)
WHERE f.ts >= $start AND f.ts < $end
  AND ($hours::TIMESTAMP[] IS NULL OR date_trunc('hour', f.ts) IN (SELECT unnest($hours::TIMESTAMP[])));

SELECT count(*) FROM session_git_todo

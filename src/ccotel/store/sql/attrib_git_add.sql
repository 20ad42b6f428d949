-- Merge the git facts of the events a commit just inserted (the table or view named $src:
-- the writer's batch, or bulk.py's new_events) into session_git, in its transaction: per
-- session and fact, the newer of the stored one and the batch's latest (one as old as the
-- stored one keeps it), so the table says what attrib_session_git said from every row.
-- rollups.add_git runs it only for batches with such rows.
CREATE OR REPLACE TEMP TABLE session_git_new AS
WITH n AS (
    SELECT * FROM session_git_of($src)
)
SELECT n.session_id,
       CASE WHEN o.repo_ts IS NULL OR n.repo_ts > o.repo_ts THEN n.repo ELSE o.repo END
           AS repo,
       greatest(n.repo_ts, o.repo_ts) AS repo_ts,
       CASE WHEN o.branch_ts IS NULL OR n.branch_ts > o.branch_ts THEN n.branch
            ELSE o.branch END AS branch,
       greatest(n.branch_ts, o.branch_ts) AS branch_ts,
       CASE WHEN o.project_ts IS NULL OR n.project_ts > o.project_ts THEN n.project
            ELSE o.project END AS project,
       greatest(n.project_ts, o.project_ts) AS project_ts
FROM n LEFT JOIN session_git o ON o.session_id = n.session_id;

DELETE FROM session_git WHERE session_id IN (SELECT session_id FROM session_git_new);

INSERT INTO session_git BY NAME SELECT * FROM session_git_new;

DROP TABLE session_git_new

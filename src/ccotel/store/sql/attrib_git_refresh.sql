-- Recompute the git facts of the sessions attrib_git_changed.sql found, from all their
-- rows.
DELETE FROM session_git WHERE session_id IN (SELECT session_id FROM session_git_todo);

INSERT INTO session_git BY NAME
SELECT * FROM session_git_of('events')
WHERE session_id IN (SELECT session_id FROM session_git_todo);

DROP TABLE session_git_todo

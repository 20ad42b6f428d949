-- Schema 5 or 6 -> 7: attrib_hourly is new (schema 6), with failed requests and the
-- cache-creation tokens at each row's first time (schema 7: store/schema.py drops the
-- older table first, then rebuilds every rollup of the stored hours in parts:
-- rollups.rebuild_stored);
-- session_git is new: each session's git facts from every stored row.
DELETE FROM attrib_hourly;

DELETE FROM session_git;

INSERT INTO session_git BY NAME
SELECT * FROM session_git_of('events')

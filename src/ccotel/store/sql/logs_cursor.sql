-- Where the live tail starts: the newest event's rowid (null when the store is empty).
-- The live rows' rowids are distinct, so the largest is at least count - 1: only the row
-- groups from there on are read.
SELECT max(rowid) AS cursor FROM events
WHERE rowid >= (SELECT count(*) FROM events) - 1

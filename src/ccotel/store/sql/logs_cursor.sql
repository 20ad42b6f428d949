-- Where the live tail starts: the newest event's rowid (null when the store is empty).
SELECT max(rowid) AS cursor FROM events

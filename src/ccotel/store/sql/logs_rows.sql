-- The Claude Code Logs panel, step 2: the whole rows of the events step 1 picked.
SELECT rowid AS cursor, *
FROM events
WHERE rowid IN (SELECT unnest($ids::BIGINT[]))
ORDER BY ts DESC, rowid DESC

-- Append prepared rows (an Arrow table registered as `bulk_rows`, columns named like the
-- target's) in one statement, without the duplicate checks of the ingest path: only for
-- stores filled in one go (`ccotel demo`, benchmarks). {table} is events, points or spans.
INSERT INTO {table} BY NAME SELECT * FROM bulk_rows

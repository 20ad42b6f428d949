-- Append prepared rows (an Arrow table registered as `bulk_rows`, columns named like the
-- target's) without the duplicate checks of the ingest path: only for stores filled in one
-- go (`ccotel demo`, benchmarks). {table} is events, points or spans; {columns} are
-- bulk_rows' columns (the others get their default). Like the ingest path, the rows land
-- in the temp table new_{table} first, for rollup_add_{table}.sql.
CREATE OR REPLACE TEMP TABLE new_{table} AS FROM {table} LIMIT 0;

INSERT INTO new_{table} BY NAME SELECT * FROM bulk_rows;

INSERT INTO {table} ({columns}) SELECT {columns} FROM new_{table};

SELECT count(*) FROM new_{table}

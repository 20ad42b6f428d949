-- A new store, or one from schema 2 (which rolled up every row at its commit): the rollups
-- are complete up to $hour, the current hour.
INSERT INTO rollup_state SELECT $hour WHERE NOT EXISTS (SELECT 1 FROM rollup_state)

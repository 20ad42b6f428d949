-- The hour before which the rollups hold every raw row.
SELECT max(rolled_until) FROM rollup_state

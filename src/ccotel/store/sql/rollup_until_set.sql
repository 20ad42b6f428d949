-- The rollups now hold every raw row before $to.
UPDATE rollup_state SET rolled_until = $to

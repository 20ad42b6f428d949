-- The oldest hours whose rollup rows may be partial, for compaction.
SELECT DISTINCT hour FROM rollup_dirty_hours ORDER BY hour LIMIT $limit

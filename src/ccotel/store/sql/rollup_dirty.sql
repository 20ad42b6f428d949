-- The oldest hours before $before whose rollup rows may be partial, for compaction.
SELECT DISTINCT hour FROM rollup_dirty_hours WHERE hour < $before ORDER BY hour LIMIT $limit

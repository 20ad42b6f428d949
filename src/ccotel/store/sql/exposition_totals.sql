-- /metrics/claude-code (claude/exposition.py): each monotonic sum series' running total,
-- the sum of the deltas stored for it. One narrow column pair: tens of ms on millions of
-- points.
SELECT series_key, sum(value) AS total
FROM points
WHERE kind = 'sum' AND is_monotonic AND value IS NOT NULL
GROUP BY series_key

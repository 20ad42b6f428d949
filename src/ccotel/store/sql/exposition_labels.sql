-- /metrics/claude-code: one row of each series of $keys, for its name and labels (they
-- never change: series_key digests them, so the exposition reads them once per series).
SELECT DISTINCT ON (series_key) *
FROM points
WHERE series_key IN (SELECT unnest($keys::VARCHAR[]))

-- Insert a batch of spans (registered as `batch_spans`); a span id already stored is skipped:
-- looked for at the batch's times, and among the spans that came without a start time
-- (placed at their receive time).
INSERT INTO spans BY NAME
WITH b AS (
    SELECT DISTINCT ON (trace_id, span_id) * FROM batch_spans
),
existing AS (
    SELECT trace_id, span_id FROM spans
    WHERE ts BETWEEN (SELECT min(ts) FROM b) AND (SELECT max(ts) FROM b)
    UNION
    SELECT trace_id, span_id FROM spans
    WHERE start_unix_nano IS NULL
)
SELECT b.* FROM b ANTI JOIN existing USING (trace_id, span_id)

-- Insert a batch of spans (registered as `batch_spans`) and return the ids inserted; a span
-- id already stored is skipped: looked for from $lo to $hi (the batch's times, widened to
-- every hour its sessions have events in) and among the spans that came without a start
-- time (placed at their receive time).
INSERT INTO spans BY NAME
WITH b AS (
    SELECT DISTINCT ON (trace_id, span_id) * FROM batch_spans
),
existing AS (
    SELECT trace_id, span_id FROM spans
    WHERE ts BETWEEN $lo AND $hi
    UNION
    SELECT trace_id, span_id FROM spans
    WHERE start_unix_nano IS NULL
)
SELECT b.* FROM b ANTI JOIN existing USING (trace_id, span_id)
RETURNING trace_id, span_id

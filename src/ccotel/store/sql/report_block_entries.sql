-- Every counted request in time order, for `ccotel report blocks` (5-hour windows are
-- built in Python: a window's start depends on the previous one). Counting rules:
-- report_requests.
SELECT
    ts,
    model_name AS model,
    coalesce(input_tokens, 0) AS input_tokens,
    coalesce(output_tokens, 0) AS output_tokens,
    coalesce(cache_creation_tokens, 0) AS cache_creation_tokens,
    coalesce(cache_read_tokens, 0) AS cache_read_tokens,
    cost_usd::DOUBLE AS cost_usd
FROM report_requests($from, $to, $source)
ORDER BY ts

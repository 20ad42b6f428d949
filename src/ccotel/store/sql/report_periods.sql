-- Tokens and cost per period ($grain: day, week or month, in time zone $tz) and model,
-- for `ccotel report daily|weekly|monthly`. Counting rules: report_requests.
WITH req AS (
    SELECT (ts AT TIME ZONE 'UTC') AT TIME ZONE $tz AS local_ts, model_name AS model,
           input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd
    FROM report_requests($from, $to, $source)
)
SELECT
    CASE $grain
        WHEN 'day' THEN strftime(local_ts, '%Y-%m-%d')
        WHEN 'week' THEN strftime(date_trunc('week', local_ts), '%Y-%m-%d')
        ELSE strftime(local_ts, '%Y-%m')
    END AS period,
    model,
    count(*) AS requests,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0)::DOUBLE AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced
FROM req
GROUP BY ALL
ORDER BY period, cost_usd DESC, model

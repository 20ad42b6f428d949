-- Tokens and cost in the range (usage_rows): panel_usage.sql without groups, for the stat
-- panels (a simpler plan is a quicker one).
SELECT
    coalesce(sum(input_tokens), 0)::DOUBLE AS input,
    coalesce(sum(output_tokens), 0)::DOUBLE AS output,
    coalesce(sum(cache_read_tokens), 0)::DOUBLE AS cache_read,
    coalesce(sum(cache_creation_tokens), 0)::DOUBLE AS cache_creation,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    coalesce(sum(requests), 0) AS requests
FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model)

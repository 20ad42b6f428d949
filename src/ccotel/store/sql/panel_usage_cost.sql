-- The cost of usage_rows grouped by $by ('model' | 'user' | 'session': usage_key), largest
-- first, $limit groups: panel_usage.sql's cost_usd alone, for the panels that draw only the
-- cost (one sum per group, not six).
SELECT
    usage_key($by, model, user_email, user_id, session_id) AS key,
    coalesce(sum(cost_usd), 0) AS cost_usd
FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model)
GROUP BY ALL
ORDER BY cost_usd DESC, key
LIMIT $limit

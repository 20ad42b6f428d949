-- Tokens and cost in the range (usage_rows) three ways at once, for the panels asked for
-- together (store/batch.py): the whole range (grp ''), by model ('model') and by user
-- ('user': its email, else its id, as usage_key), largest cost first in each: what
-- panel_usage_total.sql and panel_usage_cost.sql give, from one reading of the rows.
SELECT
    CASE WHEN grouping(model) = 0 THEN 'model'
         WHEN grouping(coalesce(user_email, user_id)) = 0 THEN 'user' ELSE '' END AS grp,
    CASE WHEN grouping(model) = 0 THEN model
         ELSE coalesce(user_email, user_id) END AS key,
    coalesce(sum(input_tokens), 0)::DOUBLE AS input,
    coalesce(sum(output_tokens), 0)::DOUBLE AS output,
    coalesce(sum(cache_read_tokens), 0)::DOUBLE AS cache_read,
    coalesce(sum(cache_creation_tokens), 0)::DOUBLE AS cache_creation,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    coalesce(sum(requests), 0) AS requests
FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model)
GROUP BY GROUPING SETS ((), (model), (coalesce(user_email, user_id)))
ORDER BY grp, cost_usd DESC, key

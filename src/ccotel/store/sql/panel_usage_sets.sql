-- Tokens and cost in the range (usage_rows) several ways at once, for the panels asked for
-- together (store/batch.py): the whole range (grp ''), by model ('model'), by user
-- ('user': its email, else its id, as usage_key), by time bucket ('bucket', when
-- $step_ms > 0) and the $top sessions with the most cost ('session', when $top > 0),
-- largest cost first in each: what panel_usage_total.sql, panel_usage_cost.sql and
-- panel_usage.sql give, from one reading of the rows.
WITH grouped AS (
    SELECT
        CASE WHEN grouping(model) = 0 THEN 'model'
             WHEN grouping("user") = 0 THEN 'user'
             WHEN grouping(bucket) = 0 THEN 'bucket'
             WHEN grouping(session) = 0 THEN 'session' ELSE '' END AS grp,
        CASE WHEN grouping(model) = 0 THEN model
             WHEN grouping("user") = 0 THEN "user"
             WHEN grouping(session) = 0 THEN session END AS key,
        CASE WHEN grouping(bucket) = 0 THEN bucket END AS bucket,
        coalesce(sum(input_tokens), 0)::DOUBLE AS input,
        coalesce(sum(output_tokens), 0)::DOUBLE AS output,
        coalesce(sum(cache_read_tokens), 0)::DOUBLE AS cache_read,
        coalesce(sum(cache_creation_tokens), 0)::DOUBLE AS cache_creation,
        coalesce(sum(cost_usd), 0) AS cost_usd,
        coalesce(sum(requests), 0) AS requests
    FROM (SELECT *, coalesce(user_email, user_id) AS "user",
                 -- one group of nothing when not asked for: nothing to hash
                 CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
                 CASE WHEN $top > 0 THEN session_id END AS session
          FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model))
    GROUP BY GROUPING SETS ((), (model), ("user"), (bucket), (session))
)
SELECT * FROM grouped
WHERE grp = '' OR grp = 'model' OR grp = 'user' OR grp = 'bucket' AND $step_ms > 0
   OR grp = 'session' AND $top > 0
QUALIFY grp <> 'session'
     OR row_number() OVER (PARTITION BY grp ORDER BY cost_usd DESC, key) <= $top
ORDER BY grp, cost_usd DESC, key, bucket

-- Spend rules: exact cost (DECIMAL) of api_request events in [$from, $to), per $by
-- ('total', 'user' or 'model'): the whole hours [$rollup_from, $rollup_to) from the
-- hourly rollups, the rest from raw rows, as summary.sql reads them.
WITH ev AS (
    SELECT user_id, user_email, model, cost_usd
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND requests > 0
    UNION ALL
    SELECT user_id, user_email, model, cost_usd
    FROM events_facts('events')
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND requests > 0
)
SELECT CASE $by WHEN 'user' THEN coalesce(user_id, user_email, '')
                WHEN 'model' THEN coalesce(model, '')
                ELSE '' END AS key,
       max(user_email) AS email,
       sum(cost_usd) AS cost_usd
FROM ev
GROUP BY 1
HAVING sum(cost_usd) > $over

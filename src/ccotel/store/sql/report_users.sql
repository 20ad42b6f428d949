-- Per user, and per user and model, for `ccotel report users`. Users come from telemetry
-- (user.email, else user.id); transcripts name none, so a transcript session takes the
-- user of its telemetry when there is some, else '(local transcripts)'.
-- Counting rules: report_requests.
WITH session_users AS (
    SELECT session_id, arg_max(coalesce(user_email, user_id), ts) AS user_name
    FROM events
    WHERE source = 'telemetry' AND session_id IS NOT NULL
      AND coalesce(user_email, user_id) IS NOT NULL
    GROUP BY session_id
),
req AS (
    SELECT coalesce(e.user_email, e.user_id, u.user_name,
                    CASE WHEN e.source = 'transcript' THEN '(local transcripts)'
                         ELSE '(unknown)' END) AS user_name,
           e.session_id, e.ts, e.model_name AS model, e.input_tokens, e.output_tokens,
           e.cache_creation_tokens, e.cache_read_tokens, e.cost_usd
    FROM report_requests($from, $to, $source) e
    LEFT JOIN session_users u ON u.session_id = e.session_id
)
SELECT
    user_name AS "user",
    model,
    GROUPING(model) = 1 AS is_total,
    count(*) AS requests,
    count(DISTINCT session_id) AS sessions,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0)::DOUBLE AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
    max(ts) AS last_ts
FROM req
GROUP BY GROUPING SETS ((user_name, model), (user_name))
ORDER BY "user", is_total DESC, cost_usd DESC, model

-- A repo's page without other filters (store/attribution.py: repo_page): what
-- panel_attrib_page.sql gives, read without attrib_requests (its general shape costs more
-- to plan than this costs to run), and only what the page shows: each part's first $top
-- values (people, models, branches, sessions; largest cost first) and the rest of it as
-- one row (`key` NULL, the total less those), every time bucket ($step: hour, day or
-- month) and the total. API requests of repo $repo in [$from, $to), the whole days
-- [$day_from, $day_to) from requests_daily (only when the buckets are days or months),
-- the other whole hours [$rollup_from, $rollup_to) from attrib_hourly; each request's
-- user, model, branch and repo as attrib_rows gives them (attrib_macros.sql).
-- The repo's rows are summed per time bucket, session and value of every part first, and
-- only then joined to the users of their sessions (only the sessions of the repo's rows
-- that name no user are looked up: looking up every session of the range's rows, as
-- attrib_session_users does, read the month's attrib_hourly a second time); the parts
-- then read far fewer rows;
-- each part's sessions are its rows per session (no DISTINCT per part), the sessions' part
-- and the total come from the sums per session.
WITH rows AS (
    SELECT day AS ts, session_id, source, user_id, user_email, model, speed, project,
           git_branch, requests, tokens, cost_usd
    FROM requests_daily
    WHERE day >= $day_from AND day < $day_to
    UNION ALL
    SELECT hour, session_id, source, user_id, user_email, model, speed, project,
           git_branch, requests,
           all_tokens(input_tokens, output_tokens,
                      cache_creation_tokens, cache_read_tokens),
           cost_usd
    FROM attrib_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
      AND (hour < $day_from OR hour >= $day_to) AND event_name = 'api_request'
    UNION ALL
    SELECT ts, session_id, source, user_id, user_email, model, speed, project, git_branch, 1,
           all_tokens(input_tokens, output_tokens,
                      cache_creation_tokens, cache_read_tokens),
           cost_usd
    FROM events
    WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
      AND (ts < $rollup_from OR ts >= $rollup_to)
),
-- the repo's rows summed per time bucket, session and what the parts group by (a few
-- thousand rows, held for the two readers below)
mine AS (
    SELECT date_trunc($step, e.ts) AS bucket, e.session_id, e.source, e.user_id,
           e.user_email,
           coalesce(CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END,
                    '(unknown)') AS models,
           coalesce(e.git_branch, g.branch, '(unknown)') AS branches,
           sum(e.requests) AS requests, sum(e.tokens) AS tokens, sum(e.cost_usd) AS cost_usd
    FROM rows e
    LEFT JOIN session_git g ON g.session_id = e.session_id
    WHERE attrib_repo(g.repo, e.project, g.project) = $repo
    GROUP BY ALL
),
-- the user of the repo's sessions whose rows name none (a transcript's), from their
-- telemetry: attrib_session_users for these sessions alone
users AS (
    SELECT session_id, arg_max(coalesce(user_email, user_id), ts) AS user_name
    FROM events
    WHERE source = 'telemetry' AND coalesce(user_email, user_id) IS NOT NULL
      AND session_id IN (SELECT session_id FROM mine
                         WHERE user_email IS NULL AND user_id IS NULL)
    GROUP BY session_id
),
-- (held: five readers)
per AS MATERIALIZED (
    SELECT attrib_user(e.user_email, e.user_id, u.user_name, e.source) AS people,
           e.models, e.branches, e.bucket, e.session_id, e.requests, e.tokens, e.cost_usd
    FROM mine e
    LEFT JOIN users u ON u.session_id = e.session_id
),
by_session AS (
    SELECT session_id, sum(requests) AS requests, sum(tokens) AS tokens,
           sum(cost_usd) AS cost_usd
    FROM per GROUP BY session_id
),
-- each part's values over its rows per session: one grouping per part (grouping the four
-- parts' rows together, by part, value and session, costs DuckDB twice the time)
by_value AS (
    SELECT part, "key", sum(requests) AS requests, count(*) AS sessions,
           sum(tokens) AS tokens, sum(cost_usd) AS cost_usd
    FROM (SELECT 'people' AS part, people AS "key", session_id, sum(requests) AS requests,
                 sum(tokens) AS tokens, sum(cost_usd) AS cost_usd
          FROM per GROUP BY people, session_id
          UNION ALL
          SELECT 'models', models, session_id, sum(requests), sum(tokens), sum(cost_usd)
          FROM per GROUP BY models, session_id
          UNION ALL
          SELECT 'branches', branches, session_id, sum(requests), sum(tokens), sum(cost_usd)
          FROM per GROUP BY branches, session_id
          UNION ALL
          SELECT 'over_time', strftime(bucket, CASE $step
                     WHEN 'hour' THEN '%Y-%m-%d %H:00' WHEN 'day' THEN '%Y-%m-%d'
                     ELSE '%Y-%m' END),
                 session_id, sum(requests), sum(tokens), sum(cost_usd)
          FROM per GROUP BY bucket, session_id)
    GROUP BY part, "key"
),
-- each part's values, largest cost first: the first $top + 1 (the page shows $top, and
-- whether there are more), every time bucket, the total
parts AS (
    SELECT * FROM by_value WHERE part = 'over_time'
    UNION ALL
    SELECT * FROM by_value WHERE part <> 'over_time'
    QUALIFY row_number() OVER (PARTITION BY part ORDER BY cost_usd DESC, tokens DESC,
                                                       "key") <= $top + 1
    UNION ALL
    -- a session's own row: one session, none when it has no id
    (SELECT 'sessions', coalesce(session_id, '(unknown)') AS "key", requests,
            (session_id IS NOT NULL)::BIGINT, tokens, cost_usd
     FROM by_session
     ORDER BY cost_usd DESC, tokens DESC, "key" LIMIT $top + 1)
    UNION ALL
    SELECT 'total', NULL, sum(requests), count(session_id), sum(tokens), sum(cost_usd)
    FROM by_session
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY part ORDER BY cost_usd DESC, tokens DESC,
                                                         "key") AS rank
    FROM parts
),
total AS (SELECT * FROM parts WHERE part = 'total'),
-- the rest of a part beyond its first $top values: the total less those (each part
-- divides the same rows)
rest AS (
    SELECT s.part, NULL AS "key",
           (SELECT coalesce(requests, 0) FROM total) - coalesce(sum(s.requests), 0)
               AS requests,
           NULL::BIGINT AS sessions,
           (SELECT coalesce(tokens, 0) FROM total) - coalesce(sum(s.tokens), 0) AS tokens,
           (SELECT coalesce(cost_usd, 0) FROM total) - coalesce(sum(s.cost_usd), 0)
               AS cost_usd,
           2 AS place
    FROM ranked s
    WHERE s.part NOT IN ('over_time', 'total') AND s.rank <= $top
      AND s.part IN (SELECT part FROM ranked WHERE rank > $top)
    GROUP BY s.part
)
SELECT part, "key", part = 'total' AS is_total,
       coalesce(requests, 0)::BIGINT AS requests, sessions,
       coalesce(tokens, 0)::BIGINT AS tokens,
       coalesce(cost_usd, 0)::DECIMAL(38, 12) AS cost_usd
FROM (SELECT part, "key", requests, sessions, tokens, cost_usd, 1 AS place FROM ranked
      WHERE part IN ('over_time', 'total') OR rank <= $top
      UNION ALL
      SELECT * FROM rest)
ORDER BY part, place, cost_usd DESC, tokens DESC, "key"

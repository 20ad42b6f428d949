-- The values the dashboard's filters offer: what was seen in the range, most used first.
-- Sessions are capped ($limit): a picker of thousands helps no one.
-- Whole hours [$rollup_from, $rollup_to) come from the rollups, the rest from raw rows.
WITH rows AS NOT MATERIALIZED (
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, events AS n, last_ts
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, 1, ts
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from
           OR ts >= $rollup_to AND ts < $to)
      AND event_name IS DISTINCT FROM 'ccotel.git'  -- a git record, not an event
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, points, last_ts
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, 1, ts
    FROM points
    WHERE ts >= $from AND ts < $rollup_from
       OR ts >= $rollup_to AND ts < $to
),
-- the rows per distinct user, model, terminal and version (few), once: those filters'
-- values are then counted over far fewer rows; the sessions apart, from the
-- rows again (a scan costs less than holding every row for a second reader)
combos AS (
    SELECT coalesce(user_email, user_id) AS "user", model, terminal_type,
           coalesce(app_version, service_version) AS version, sum(n) AS n,
           max(last_ts) AS last_ts
    FROM rows
    GROUP BY ALL
),
vals AS (
    -- each combination's values as (filter, value) rows, counted in one grouping
    SELECT v.filter, v.value, sum(n) AS n, max(last_ts) AS last_ts
    FROM (SELECT unnest([{'filter': 'user', 'value': "user"},
                         {'filter': 'model', 'value': model},
                         {'filter': 'terminal', 'value': terminal_type},
                         {'filter': 'version', 'value': version}]) AS v, n, last_ts
          FROM combos)
    WHERE v.value IS NOT NULL
    GROUP BY ALL
    UNION ALL
    (SELECT 'session', session_id, sum(n), max(last_ts) FROM rows
     WHERE session_id IS NOT NULL GROUP BY ALL ORDER BY max(last_ts) DESC LIMIT $limit)
)
SELECT filter, value, n, last_ts FROM vals ORDER BY filter, n DESC, value

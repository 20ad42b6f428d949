-- A "Cost by <dimension>" panel without filters for a named request dimension ($dim:
-- query_source, effort, speed, terminal, version, skill, agent, plugin, mcp, mcp_tool;
-- store/attribution.py: breakdown_panel): the rows and sums of panel_attrib_fast.sql,
-- read without grouping the whole days by session. Of the whole days [$day_from,
-- $day_to) it reads attrib_daily_values: per day and value, the requests, tokens, cost
-- and sessions, the latter by the previous day each session had the value (prev_day), so
-- that a value's sessions over the days are those whose previous day is before them; of
-- the session pseudo-column ('session'), the range's sessions. The other whole hours
-- [$rollup_from, $rollup_to) come from attrib_hourly and the rest of [$from, $to) from
-- raw rows, per value and session ("edges"), and each edge session counts unless it had
-- the same value on one of the days (attrib_daily).
-- tests/attribution/test_rollup_paths.py checks it against the general path, and
-- tests/store/test_rollups.py every path against raw rows.
WITH edge_rows AS (
    SELECT * FROM attrib_edge_rows($dim, $from, $to, $rollup_from, $rollup_to, $day_from,
                                   $day_to)
),
-- per column (the dimension's, and 'session' for the total), value and session
edge AS (
    SELECT c.col, c.value, session_id, sum(requests) AS requests, sum(tokens) AS tokens,
           sum(cost_usd) AS cost_usd
    FROM (SELECT unnest([{'col': 'dim', 'value': coalesce(v, '(unknown)')},
                         {'col': 'session', 'value': ''}]) AS c, *
          FROM edge_rows)
    GROUP BY ALL
),
-- the edges' sessions with the same value on a day of the range
seen AS (
    SELECT DISTINCT CASE WHEN col = 'session' THEN 'session' ELSE 'dim' END AS col, value,
           session_id
    FROM attrib_daily
    WHERE day >= $day_from AND day < $day_to
      AND col IN ('session', attrib_daily_col($dim))
      AND session_id IN (SELECT session_id FROM edge)
),
parts AS (
    SELECT CASE WHEN col = 'session' THEN 'session' ELSE 'dim' END AS col, value,
           requests, tokens, cost_usd,
           CASE WHEN prev_day IS NULL OR prev_day < $day_from THEN sessions ELSE 0 END
               AS sessions
    FROM attrib_daily_values
    WHERE day >= $day_from AND day < $day_to
      AND col IN ('session', attrib_daily_col($dim))
    UNION ALL
    SELECT e.col, e.value, e.requests, e.tokens, e.cost_usd,
           CASE WHEN e.session_id IS NULL OR s.session_id IS NOT NULL THEN 0 ELSE 1 END
    FROM edge e LEFT JOIN seen s
        ON s.col = e.col AND s.value = e.value AND s.session_id = e.session_id
)
-- each value's row, then the total (the sessions of the 'session' column)
SELECT value AS "key", false AS is_total, coalesce(sum(requests), 0)::BIGINT AS requests,
       sum(sessions)::BIGINT AS sessions, coalesce(sum(tokens), 0)::BIGINT AS tokens,
       coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
FROM parts WHERE col = 'dim' GROUP BY value
UNION ALL
SELECT NULL, true, coalesce(sum(requests), 0)::BIGINT, coalesce(sum(sessions), 0)::BIGINT,
       coalesce(sum(tokens), 0)::BIGINT, coalesce(sum(cost_usd), 0)::DECIMAL(38, 12)
FROM parts WHERE col = 'session'
ORDER BY is_total DESC, cost_usd DESC, tokens DESC, "key"

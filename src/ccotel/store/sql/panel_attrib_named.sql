-- "Cost by <dimension>" panels without filters for named request dimensions (query_source,
-- effort, speed, terminal, version, skill, agent, plugin, mcp, mcp_tool;
-- store/attribution.py: named_breakdowns), one or several at once: $cols names their
-- columns (attrib_daily_col) and 'session', the pseudo-column of the total. Each row is a
-- column's value (its requests, tokens, cost and sessions), the total's the session
-- column's (is_total). Of the whole days [$day_from, $day_to) it reads
-- attrib_daily_values: per day and value, the requests, tokens, cost and sessions, the
-- latter by the previous day each session had the value (prev_day), so that a value's
-- sessions over the days are those whose previous day is before them. The other whole
-- hours [$rollup_from, $rollup_to) come from attrib_hourly and the rest of [$from, $to)
-- from raw rows, per column, value and session ("edges"), and each edge session counts
-- unless it had the same value on one of the days (attrib_daily). Several columns cost
-- one reading of the edges and the days, not one each.
-- tests/attribution/test_rollup_paths.py checks it against the general path, and
-- tests/store/test_rollups.py every path against raw rows.
WITH edge_rows AS (
    SELECT session_id, query_source, effort, speed, terminal_type, service_version, skill,
           agent, plugin, mcp, mcp_tool, requests,
           all_tokens(input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens)
               AS tokens, cost_usd
    FROM attrib_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND (hour < $day_from OR hour >= $day_to)
      AND event_name = 'api_request'
    UNION ALL
    SELECT session_id, query_source, effort, speed, terminal_type, service_version,
           attributes->>'$."skill.name"', attributes->>'$."agent.name"',
           attributes->>'$."plugin.name"', attributes->>'$."mcp_server.name"',
           attributes->>'$."mcp_tool.name"', 1,
           all_tokens(input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens),
           cost_usd
    FROM events
    WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
      AND (ts < $rollup_from OR ts >= $rollup_to)
),
-- per column, value and session
edge AS (
    SELECT c.col, coalesce(c.value, '(unknown)') AS value, session_id,
           sum(requests) AS requests, sum(tokens) AS tokens, sum(cost_usd) AS cost_usd
    FROM (SELECT unnest([{'col': 'query_source', 'value': query_source},
                         {'col': 'effort', 'value': effort},
                         {'col': 'speed', 'value': speed},
                         {'col': 'terminal_type', 'value': terminal_type},
                         {'col': 'service_version', 'value': service_version},
                         {'col': 'skill', 'value': skill},
                         {'col': 'agent', 'value': agent},
                         {'col': 'plugin', 'value': plugin},
                         {'col': 'mcp', 'value': mcp},
                         {'col': 'mcp_tool', 'value': mcp_tool},
                         {'col': 'session', 'value': ''}]) AS c,
                 session_id, requests, tokens, cost_usd
          FROM edge_rows)
    WHERE list_contains($cols, c.col)
    GROUP BY ALL
),
-- the edges' sessions with the same value on a day of the range
seen AS (
    SELECT DISTINCT col, value, session_id
    FROM attrib_daily
    WHERE day >= $day_from AND day < $day_to AND list_contains($cols, col)
      AND session_id IN (SELECT session_id FROM edge)
),
parts AS (
    SELECT col, value, requests, tokens, cost_usd,
           CASE WHEN prev_day IS NULL OR prev_day < $day_from THEN sessions ELSE 0 END
               AS sessions
    FROM attrib_daily_values
    WHERE day >= $day_from AND day < $day_to AND list_contains($cols, col)
    UNION ALL
    SELECT e.col, e.value, e.requests, e.tokens, e.cost_usd,
           CASE WHEN e.session_id IS NULL OR s.session_id IS NOT NULL THEN 0 ELSE 1 END
    FROM edge e LEFT JOIN seen s
        ON s.col = e.col AND s.value = e.value AND s.session_id = e.session_id
)
-- each value's row, then the total (the sessions of the 'session' column)
SELECT col, value AS "key", false AS is_total, coalesce(sum(requests), 0)::BIGINT AS requests,
       sum(sessions)::BIGINT AS sessions, coalesce(sum(tokens), 0)::BIGINT AS tokens,
       coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
FROM parts WHERE col <> 'session' GROUP BY col, value
UNION ALL
SELECT 'session', NULL, true, coalesce(sum(requests), 0)::BIGINT,
       coalesce(sum(sessions), 0)::BIGINT, coalesce(sum(tokens), 0)::BIGINT,
       coalesce(sum(cost_usd), 0)::DECIMAL(38, 12)
FROM parts WHERE col = 'session'
ORDER BY col, is_total DESC, cost_usd DESC, tokens DESC, "key"

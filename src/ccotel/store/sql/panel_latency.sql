-- p50 and p95 of API response time and time to first token (api_request duration_ms and
-- ttft_ms), per time bucket when $step_ms > 0, else over the whole range (bucket 0); with
-- $range, over the whole range too (bucket NULL), from the same cells.
-- Approximate: each value falls in a cell 2^(1/4) wide (~19%; latency_cell in schema.sql)
-- that keeps its count, min and max, and a percentile is quantile_cont's interpolation
-- with the cells' values taken as spread evenly between their min and max: exact when a
-- cell holds at most two distinct values, else within a few percent (at most 2.5% on the
-- demo's 30 days, per 6-hour bucket).
-- Whole hours [$rollup_from, $rollup_to) come from api_latency_hourly, the rest from raw
-- rows. That rollup keeps only the model: filtering on user, session, terminal or version,
-- the caller passes no rollup hours and the same cells are built from raw rows only.
WITH latencies AS (
    SELECT hour AS ts, NULL AS session_id, NULL AS user_id, NULL AS user_email,
           NULL AS terminal_type, NULL AS service_version, NULL AS app_version, model, kind,
           cell, n, min_ms, max_ms
    FROM api_latency_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, kind, cell, n, min_ms, max_ms
    FROM api_latency_facts('events')
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
),
bucketed AS (
    SELECT
        CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms ELSE 0 END AS bucket,
        kind,
        cell,
        sum(n)::BIGINT AS n,
        min(min_ms) AS min_ms,
        max(max_ms) AS max_ms
    FROM latencies
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
    GROUP BY ALL
),
-- with $range, the whole range's cells too (bucket NULL): the buckets' merged
cells AS (
    SELECT * FROM bucketed
    UNION ALL
    SELECT NULL, kind, cell, sum(n)::BIGINT, min(min_ms), max(max_ms)
    FROM bucketed
    WHERE $range
    GROUP BY kind, cell
),
ranked AS (
    -- Each cell holds the order statistics [first, first + n) (0-based) of its bucket.
    SELECT *,
        sum(n) OVER (PARTITION BY bucket, kind ORDER BY cell
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - n AS first,
        sum(n) OVER (PARTITION BY bucket, kind) AS total
    FROM cells
),
positions AS (
    -- quantile_cont's position q * (total - 1) lies between two order statistics.
    SELECT *, q * (total - 1) AS pos, floor(q * (total - 1)) AS below,
           ceil(q * (total - 1)) AS above
    FROM ranked, (VALUES (0.5), (0.95)) qs(q)
),
stats AS (
    -- An order statistic's value: its cell's min and max, interpolated by its rank there.
    SELECT bucket, kind, q, any_value(pos - below) AS frac,
        any_value(min_ms + (max_ms - min_ms)
                  * CASE WHEN n > 1 THEN (below - first) / (n - 1) ELSE 0 END)
            FILTER (WHERE below >= first AND below < first + n) AS v_below,
        any_value(min_ms + (max_ms - min_ms)
                  * CASE WHEN n > 1 THEN (above - first) / (n - 1) ELSE 0 END)
            FILTER (WHERE above >= first AND above < first + n) AS v_above
    FROM positions
    GROUP BY bucket, kind, q
)
SELECT
    bucket,
    list(v_below + frac * (v_above - v_below) ORDER BY q)
        FILTER (WHERE kind = 'duration') AS duration_q,
    list(v_below + frac * (v_above - v_below) ORDER BY q)
        FILTER (WHERE kind = 'ttft') AS ttft_q
FROM stats
GROUP BY bucket

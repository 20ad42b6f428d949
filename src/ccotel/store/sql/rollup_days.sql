-- Rebuild attrib_daily, attrib_daily_values, waste_daily and requests_daily for the days
-- in [$d0, $d1)
-- from attrib_hourly (rollups.rebuild_days: whole days before rolled_until, oldest first, in
-- the transaction that changed their hours), with the prev_day of the rows of later days
-- whose sessions had rows on those days before or have now.

DELETE FROM waste_daily WHERE day >= $d0 AND day < $d1;

INSERT INTO waste_daily BY NAME
SELECT * FROM waste_daily_of($d0, $d1)
ORDER BY day;

DELETE FROM requests_daily WHERE day >= $d0 AND day < $d1;

INSERT INTO requests_daily BY NAME
SELECT * FROM requests_daily_of($d0, $d1)
ORDER BY day;

-- The sessions whose rows change: those of the days before...
CREATE OR REPLACE TEMP TABLE rollup_day_sessions AS
SELECT DISTINCT session_id FROM attrib_daily
WHERE day >= $d0 AND day < $d1 AND session_id IS NOT NULL;

DELETE FROM attrib_daily WHERE day >= $d0 AND day < $d1;

-- (each row's prev_day: the latest earlier day of its session with the same value)
INSERT INTO attrib_daily BY NAME
WITH fresh AS (SELECT * FROM attrib_daily_of($d0, $d1)),
before AS (
    SELECT col, value, session_id, max(day) AS prev_day FROM attrib_daily
    WHERE day < $d0 AND session_id IN (SELECT session_id FROM fresh)
    GROUP BY ALL
)
SELECT f.*, b.prev_day
FROM fresh f LEFT JOIN before b
    ON b.col = f.col AND b.value IS NOT DISTINCT FROM f.value AND b.session_id = f.session_id
ORDER BY f.day, f.col;

-- ... and after.
INSERT INTO rollup_day_sessions
SELECT DISTINCT session_id FROM attrib_daily
WHERE day >= $d0 AND day < $d1 AND session_id IS NOT NULL;

UPDATE attrib_daily a SET prev_day = p.prev_day
FROM (SELECT day, col, value, session_id,
             lag(day) OVER (PARTITION BY col, value, session_id ORDER BY day) AS prev_day
      FROM attrib_daily
      WHERE session_id IN (SELECT session_id FROM rollup_day_sessions)) p
WHERE a.day >= $d1 AND a.day = p.day AND a.col = p.col
  AND a.value IS NOT DISTINCT FROM p.value AND a.session_id = p.session_id
  AND a.prev_day IS DISTINCT FROM p.prev_day;

-- The days whose rows changed, summed again.
CREATE OR REPLACE TEMP TABLE rollup_day_days AS
SELECT $d0::TIMESTAMP AS day
UNION
SELECT DISTINCT day FROM attrib_daily
WHERE day >= $d1 AND session_id IN (SELECT session_id FROM rollup_day_sessions);

DELETE FROM attrib_daily_values WHERE day IN (SELECT day FROM rollup_day_days);

INSERT INTO attrib_daily_values BY NAME
SELECT day, col, value, prev_day, count(session_id) AS sessions,
       sum(requests)::BIGINT AS requests, sum(tokens)::BIGINT AS tokens,
       sum(cost_usd) AS cost_usd
FROM attrib_daily
WHERE day IN (SELECT day FROM rollup_day_days)
GROUP BY ALL
ORDER BY day, col;

DROP TABLE rollup_day_sessions;

DROP TABLE rollup_day_days

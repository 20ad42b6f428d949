-- The latest plan-limit facts of each account, for /api/v1/limits: snapshots since $since
-- (the longest window, 7 days), each given to the account of its session's telemetry
-- (email, else account uuid), else the user the statusline was told, else the telemetry's
-- user.id, else its machine. Per account: the latest official 5-hour and 7-day usage and
-- where the same window stood about $lookback_5h / $lookback_7d earlier, for a burn rate.
-- Accounts with telemetry since $active_since and no snapshot come too (API-key users:
-- their 5-hour window is ccotel's own block).
WITH recent AS (
    SELECT * FROM limit_snapshots WHERE ts >= $since
),
owners AS (
    SELECT session_id, max(user_email) AS user_email, max(account_uuid) AS account_uuid,
           max(user_id) AS user_id
    FROM events
    WHERE ts >= $since - INTERVAL 1 DAY
      AND session_id IN (SELECT DISTINCT session_id FROM recent)
    GROUP BY session_id
),
snap AS (
    SELECT r.*, coalesce(o.user_email, o.account_uuid, r.user_hint, o.user_id,
                         'host:' || coalesce(r.host_name, '?')) AS account
    FROM recent r LEFT JOIN owners o USING (session_id)
),
accounts AS (
    SELECT account, max(ts) AS updated, list(DISTINCT host_name ORDER BY host_name) AS hosts,
           list(DISTINCT session_id) AS sessions, max_by(model, ts) AS model
    FROM snap GROUP BY account
),
five AS (
    SELECT account, max(ts) AS ts, max_by(five_hour_pct, ts) AS pct,
           max_by(five_hour_resets_at, ts) AS resets_at
    FROM snap WHERE five_hour_pct IS NOT NULL GROUP BY account
),
five_from AS (
    SELECT s.account, min(s.ts) AS ts, min_by(s.five_hour_pct, s.ts) AS pct
    FROM snap s JOIN five f ON s.account = f.account
    WHERE s.five_hour_pct IS NOT NULL AND s.ts >= f.ts - $lookback_5h
      AND abs(epoch(s.five_hour_resets_at) - epoch(f.resets_at)) < 120
    GROUP BY s.account
),
seven AS (
    SELECT account, max(ts) AS ts, max_by(seven_day_pct, ts) AS pct,
           max_by(seven_day_resets_at, ts) AS resets_at
    FROM snap WHERE seven_day_pct IS NOT NULL GROUP BY account
),
seven_from AS (
    SELECT s.account, min(s.ts) AS ts, min_by(s.seven_day_pct, s.ts) AS pct
    FROM snap s JOIN seven f ON s.account = f.account
    WHERE s.seven_day_pct IS NOT NULL AND s.ts >= f.ts - $lookback_7d
      AND abs(epoch(s.seven_day_resets_at) - epoch(f.resets_at)) < 120
    GROUP BY s.account
),
telemetry_only AS (
    SELECT coalesce(user_email, account_uuid, user_id) AS account, max(ts) AS updated,
           list(DISTINCT session_id) AS sessions, max_by(model, ts) AS model
    FROM events
    WHERE event_name = 'api_request' AND ts >= $active_since
      AND coalesce(user_email, account_uuid, user_id) IS NOT NULL
    GROUP BY 1
)
SELECT a.account, a.updated, a.hosts, a.sessions, a.model,
       f.ts AS five_ts, f.pct AS five_pct, f.resets_at AS five_resets_at,
       ff.ts AS five_from_ts, ff.pct AS five_from_pct,
       s.ts AS seven_ts, s.pct AS seven_pct, s.resets_at AS seven_resets_at,
       sf.ts AS seven_from_ts, sf.pct AS seven_from_pct
FROM accounts a
LEFT JOIN five f USING (account) LEFT JOIN five_from ff USING (account)
LEFT JOIN seven s USING (account) LEFT JOIN seven_from sf USING (account)
UNION ALL
SELECT t.account, t.updated, []::VARCHAR[], t.sessions, t.model,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM telemetry_only t
WHERE t.account NOT IN (SELECT account FROM accounts)
ORDER BY 1

-- Snapshots since $since with the account each belongs to: its session's telemetry email,
-- else account uuid, else the user the statusline was told, else user.id, else its machine
-- (the rule of the limits_requests macro). Oldest first per account; $account (or NULL)
-- keeps one. limits/ledger.py builds each account's windows from these.
WITH recent AS (
    SELECT ts, session_id, host_name, user_hint, model, cost_usd, five_hour_pct,
           five_hour_resets_at, seven_day_pct, seven_day_resets_at
    FROM limit_snapshots WHERE ts >= $since
),
owners AS (
    SELECT session_id, max(user_email) AS user_email, max(account_uuid) AS account_uuid,
           max(user_id) AS user_id
    FROM events
    WHERE ts >= $since - INTERVAL 1 DAY AND session_id IN (SELECT session_id FROM recent)
    GROUP BY session_id
),
snap AS (
    SELECT coalesce(o.user_email, o.account_uuid, r.user_hint, o.user_id,
                    'host:' || coalesce(r.host_name, '?')) AS account,
           r.* EXCLUDE (user_hint)
    FROM recent r LEFT JOIN owners o USING (session_id)
)
SELECT * FROM snap WHERE $account IS NULL OR account = $account ORDER BY account, ts

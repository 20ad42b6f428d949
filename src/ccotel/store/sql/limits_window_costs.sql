-- What each account's requests cost in each of its windows: $windows is a list of
-- {account, name, start, end}; requests since $from (the earliest start).
WITH windows AS (SELECT unnest($windows, recursive := true))
SELECT w.account, w.name, sum(r.cost_usd) AS cost, count(*) AS requests
FROM windows w
JOIN limits_requests($since, $from, $now) r
  ON r.account = w.account AND r.ts >= w.start AND r.ts < w."end"
GROUP BY ALL

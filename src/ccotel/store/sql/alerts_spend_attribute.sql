-- Spend rules by a resource attribute (team, repo): exact cost of the telemetry's
-- api_request events in [$from, $to), per value of the attribute at JSON path $path.
-- Rollups keep no resource, so these read raw rows.
SELECT coalesce(json_extract_string(resource, $path), '') AS key,
       NULL AS email,
       sum(cost_usd::DECIMAL(38, 12)) AS cost_usd
FROM events
WHERE event_name = 'api_request' AND source = 'telemetry' AND ts >= $from AND ts < $to
GROUP BY 1
HAVING sum(cost_usd::DECIMAL(38, 12)) > $over

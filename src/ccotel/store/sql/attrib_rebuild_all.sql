-- Schema 5 -> 6: attrib_hourly is new; roll up the api_request events already stored (the
-- hours from rolled_until on are rolled up as they end, like every rollup's).
DELETE FROM attrib_hourly;
INSERT INTO attrib_hourly BY NAME
SELECT * FROM attrib_hourly_of('events', '-infinity'::TIMESTAMP,
                               (SELECT coalesce(max(rolled_until), 'infinity'::TIMESTAMP)
                                FROM rollup_state))
ORDER BY hour;

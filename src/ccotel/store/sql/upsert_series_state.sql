-- Remember the last cumulative value of each series touched by a batch (`batch_state`).
INSERT OR REPLACE INTO series_state
SELECT series_key, start_unix_nano, time_unix_nano, value FROM batch_state

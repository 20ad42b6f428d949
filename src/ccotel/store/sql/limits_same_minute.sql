-- A session keeps one snapshot per minute, its latest: Claude Code updates the statusline
-- every few seconds, and the ledger needs no finer history.
DELETE FROM limit_snapshots
WHERE session_id = $session_id AND ts >= date_trunc('minute', $ts)
  AND ts < date_trunc('minute', $ts) + INTERVAL 1 MINUTE

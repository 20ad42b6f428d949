-- The Claude Code Logs panel, step 1: which events, newest first (rowids only, so the
-- top-N sorts two columns, not whole rows). With $after (a cursor: the rowid of the
-- newest event seen) only those stored since, for the live tail: rowid grows with every
-- insert, so an event that arrives late is still found after its cursor.
-- No model filter here: its session subquery would turn the cheap top-N into a full
-- scan, so a model filter goes to logs_events_model.sql instead.
SELECT cursor
FROM log_rows($from, $to, $after, $event, $text, $filters)
ORDER BY ts DESC, cursor DESC
LIMIT $limit

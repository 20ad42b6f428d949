-- The sessions with events or spans in the hours not rolled up yet ($since on), each with
-- its first time there; at most $most rows (the writer keeps no more). With the rolled-up
-- hours' `sessions_first`, where a batch's repeats may be stored (writer.py).
SELECT session_id, min(ts) FROM (
    SELECT session_id, ts FROM events WHERE ts >= $since AND session_id IS NOT NULL
    UNION ALL
    SELECT session_id, ts FROM spans WHERE ts >= $since AND session_id IS NOT NULL
)
GROUP BY session_id
LIMIT $most

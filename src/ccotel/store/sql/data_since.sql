-- When the store's data begins (events, metric points, spans): the dashboard picks a
-- default range that fits a young store instead of squeezing it into the right edge.
-- (A transcript copy is never older than the telemetry row it copies, give or take the
-- moments between them, so copies need no filter here: min(ts) stays cheap.)
SELECT least((SELECT min(ts) FROM events), (SELECT min(ts) FROM points),
             (SELECT min(ts) FROM spans)) AS since

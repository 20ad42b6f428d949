-- When the store's data begins (events, metric points, spans): the dashboard picks a
-- default range that fits a young store instead of squeezing it into the right edge.
SELECT least((SELECT min(ts) FROM events WHERE event_name IS DISTINCT FROM 'transcript_copy'),
             (SELECT min(ts) FROM points), (SELECT min(ts) FROM spans)) AS since

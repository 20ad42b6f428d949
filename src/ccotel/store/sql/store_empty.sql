-- Whether anything was ever received: an empty store shows how to connect Claude Code.
SELECT NOT EXISTS (SELECT 1 FROM events) AND NOT EXISTS (SELECT 1 FROM points)
       AND NOT EXISTS (SELECT 1 FROM spans) AS empty

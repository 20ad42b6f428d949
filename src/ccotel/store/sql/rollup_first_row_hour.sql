-- The time of the first raw row at or after $since (NULL if none): where `advance` starts
-- rolling up, so that a store left alone for months does not rebuild every empty hour.
SELECT least((SELECT min(ts) FROM events WHERE ts >= $since),
             (SELECT min(ts) FROM points WHERE ts >= $since))

-- Remove everything older than the cutoff (a TIMESTAMP parameter).
DELETE FROM events WHERE ts < $cutoff;
DELETE FROM points WHERE ts < $cutoff;
DELETE FROM spans WHERE ts < $cutoff;

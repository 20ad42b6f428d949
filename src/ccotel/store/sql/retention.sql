-- Remove telemetry older than the cutoff (a TIMESTAMP parameter). History imported from
-- transcripts stays: the user asked for it, and the importer would not read it again.
DELETE FROM events WHERE ts < $cutoff AND source = 'telemetry';
DELETE FROM points WHERE ts < $cutoff;
DELETE FROM spans WHERE ts < $cutoff;
DELETE FROM limit_snapshots WHERE ts < $cutoff;

-- A request the target took (or refused for good).
DELETE FROM outbox WHERE id = $id

-- Append the writer's batch (registered as batch_{table}, rows already stored left out)
-- to {table} (events or points).
INSERT INTO {table} BY NAME SELECT * FROM batch_{table}

-- Requests waiting for targets no longer given to --forward: nothing would send them.
DELETE FROM outbox WHERE NOT list_contains($targets, target) RETURNING id

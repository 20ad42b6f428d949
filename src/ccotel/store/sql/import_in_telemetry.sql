-- Which of a chunk's requests and tool calls (registered as `import_candidates`) the store
-- already has from telemetry: those are not imported again.
SELECT DISTINCT 'request' AS kind, e.request_id AS id
FROM events e
WHERE e.source = 'telemetry'
  AND e.event_name = 'api_request'
  AND e.request_id IN (SELECT request_id FROM import_candidates WHERE request_id IS NOT NULL)
UNION ALL
SELECT DISTINCT 'tool' AS kind, e.tool_use_id AS id
FROM events e
WHERE e.source = 'telemetry'
  AND e.event_name IN ('tool_result', 'tool_decision')
  AND e.tool_use_id IN (SELECT tool_use_id FROM import_candidates WHERE tool_use_id IS NOT NULL)

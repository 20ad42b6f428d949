-- Bulk import: cost of each request from per-token rates in picodollars (registered as
-- `import_bulk_rates` by model, fast speed and UTC day; genai-prices' tables, resolved in
-- Python). A long-context tier bills every token at its rate once the request's input
-- (cached or not) passes `tier_start`. Integer arithmetic: the cost is exact to 1e-12 USD.
UPDATE import_bulk_rows r
SET cost_usd = (
    CASE WHEN p.tier_start IS NOT NULL
              AND r.input_tokens + r.cache_read_tokens + r.cache_creation_tokens > p.tier_start
         THEN r.input_tokens * p.t_input + r.output_tokens * p.t_output
              + r.cache_read_tokens * p.t_cache_read
              + r.cache_creation_5m_tokens * p.t_write_5m
              + r.cache_creation_1h_tokens * p.t_write_1h
         ELSE r.input_tokens * p.input + r.output_tokens * p.output
              + r.cache_read_tokens * p.cache_read
              + r.cache_creation_5m_tokens * p.write_5m
              + r.cache_creation_1h_tokens * p.write_1h
    END)::HUGEINT::DOUBLE / 1e12
FROM import_bulk_rates p
WHERE r.event_name = 'api_request' AND r.skip IS NULL AND r.recorded_cost IS NULL
  AND p.model = r.model
  AND p.fast = (coalesce(r.speed, '') = 'fast')
  AND p.day = CAST(make_timestamp(r.time_unix_nano // 1000) AS DATE)

-- Bulk import: helpers of import_bulk_rows.sql, made once per import (temporary).
-- An unsigned integer from a JSON leaf as json_transform returns it, as minified JSON text:
-- a text a cast to UBIGINT takes, bar a real's '.' or exponent (a string "12" keeps its
-- quotes, a negative its '-'); NULL for any other leaf. Read so rather than parsed again.
CREATE OR REPLACE TEMP MACRO import_json_uint(leaf) AS
    CASE WHEN NOT (contains(leaf::VARCHAR, '.') OR contains(leaf::VARCHAR, 'e')
                   OR contains(leaf::VARCHAR, 'E'))
         THEN try_cast(leaf::VARCHAR AS UBIGINT) END;

-- A token count: below 2^60 (transcript.MAX_TOKENS: sums of five stay in BIGINT).
CREATE OR REPLACE TEMP MACRO import_tokens(n) AS
    CASE WHEN n < 1152921504606846976 THEN n::BIGINT END;

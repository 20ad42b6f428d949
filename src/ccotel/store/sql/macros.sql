-- Macros the read queries share (DuckDB inlines them: they cost nothing at run time).
-- Defined on every writable open (store/schema.py), and for a read-only connection as
-- TEMP macros of that connection, so a store last opened by an older ccotel has them too.

-- The dashboard's filters on a row: `f` is the filter values (`Query.params()["filters"]`,
-- a STRUCT passed as $filters; a NULL value keeps every row), the rest are the row's
-- columns (a macro cannot see its caller's columns). The model filter is not here: what a
-- row without a model does under it differs by query (see sessions_using_model).
-- A new filter: one field in `Query.filters()`, one line here, its column at the calls.
CREATE OR REPLACE MACRO filters_match(f, user_id, user_email, session_id, terminal_type,
                                      service_version, app_version) AS
    (f.user IS NULL OR user_id = f.user OR user_email = f.user)
    AND (f.session IS NULL OR session_id = f.session)
    AND (f.terminal IS NULL OR terminal_type = f.terminal)
    AND (f.version IS NULL OR service_version = f.version OR app_version = f.version);

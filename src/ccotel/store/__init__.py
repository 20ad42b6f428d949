"""The DuckDB store."""

# The store's file in the data dir (here, not in schema.py: no DuckDB to import for it).
DB_FILENAME = "ccotel.duckdb"

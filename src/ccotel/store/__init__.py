"""The DuckDB store."""

# The store's file in the data dir (here, not in schema.py: no DuckDB to import for it).
DB_FILENAME = "ccotel.duckdb"

# DuckDB's memory limit unless a command is given another (`--memory-limit`): past it DuckDB
# spills to disk. The one default; `settings.py` shows it in --help.
MEMORY_LIMIT = "64MB"
# For a command that writes a lot at once (a first `import` read whole by DuckDB, `demo`):
# the import's figures in docs/import.md were measured under it.
BULK_MEMORY_LIMIT = "512MB"

"""The DuckDB store."""

# The store's file in the data dir (here, not in schema.py: no DuckDB to import for it).
DB_FILENAME = "ccotel.duckdb"

# DuckDB's memory limit unless a command is given another (`--memory-limit`): past it DuckDB
# spills to disk. The one default; `settings.py` shows it in --help.
MEMORY_LIMIT = "64MB"
# For a command that runs once and exits (`import`, `demo`, a report reading the store
# directly): a first import is read whole by DuckDB, and docs/import.md's figures (import and
# reports) were measured under it.
COMMAND_MEMORY_LIMIT = "512MB"

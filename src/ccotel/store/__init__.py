"""The DuckDB store."""

# The store's file in the data dir (here, not in schema.py: no DuckDB to import for it).
DB_FILENAME = "ccotel.duckdb"

# DuckDB's memory limit unless a command is given another (`--memory-limit`): past it DuckDB
# spills to disk. The one default; `settings.py` shows it in --help. It also bounds the
# blocks DuckDB keeps once read: a team's month of rollups (about 55 MB for 10 M events)
# fits beside each query's working memory, so the dashboard's panels do not each read again
# what the one before evicted (the page's 30-day view over 10 M events: 0.33-0.34 s at 64MB,
# 0.25-0.26 s at 256MB; bench/dashboard.py). A small store never reaches it: DuckDB holds
# only what it reads.
MEMORY_LIMIT = "256MB"
# For a command that runs once and exits (`import`, `demo`, a report reading the store
# directly): a first import is read whole by DuckDB, and docs/import.md's figures (import and
# reports) were measured under it.
COMMAND_MEMORY_LIMIT = "512MB"

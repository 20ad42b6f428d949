"""Bulk append of ready-made Arrow rows, for filling a store fast (demo data, benchmarks).

Batches of ingest go through the writer's commit (dedup, deltas); this path skips those and
is only for a store nobody else is writing to, as a write function the writer runs
(`Writer.write_sync`). The hourly rollups are appended by the same
SQL as the writer's (`store/rollups.py`).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ccotel.store import queries, rollups
from ccotel.store.writing import writes

TABLES = ("events", "points", "spans")


@writes
def append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> int:
    """Append `rows` to `table` (columns matched by name; missing ones get their default)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    if len(rows) == 0:
        return 0
    con.register("bulk_rows", rows)
    try:
        columns = ", ".join(f'"{c}"' for c in rows.column_names)
        row = queries.run_template(con, "bulk_insert",
                                   {"table": table, "columns": columns}).fetchone()
        if table in rollups.SOURCES:
            rollups.add(con, table, f"new_{table}", rollups.rolled_until(con))
        if table == "events":
            rollups.add_git(con, "new_events")
        con.execute(f"DROP TABLE new_{table}")
    finally:
        con.unregister("bulk_rows")
    return int(row[0]) if row else 0

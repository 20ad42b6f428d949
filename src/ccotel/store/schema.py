"""Schema, version stamp and connections. The only place that knows the file layout."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ccotel.errors import Busy, StoreError
from ccotel.store import DB_FILENAME, MEMORY_LIMIT
from ccotel.store.files import DIR_MODE, make_private

if TYPE_CHECKING:
    import pyarrow as pa

# 2: hourly rollups (events_hourly, points_hourly, ...); 3: rollup_state.rolled_until;
# 4: outbox (serve --forward), limit_snapshots (ccotel statusline): new tables that
# schema.sql creates in older stores
# 5: alert_state, alert_history (new tables only: created by schema.sql on open)
# 6: attrib_hourly (attribution's rollup), built from the stored requests on open
# 7: attrib_hourly with failed requests and first_cache_creation_tokens (Where the Money
# Went from rollups), session_git (each session's repo and branch): both rebuilt on open,
# with every other rollup (which had counted sessions' git records as events)
# 8: attrib_daily, attrib_daily_values, waste_daily (attribution by finished day), built
# from attrib_hourly on open
# 9: requests_daily (the requests by finished day: a repo's page), built from attrib_hourly
# on open
SCHEMA_VERSION = 9


class SchemaError(StoreError):
    """The database file was written by an incompatible ccotel (or is no ccotel store)."""


class StoreInUse(Busy):
    """Another process holds the store's lock."""


@cache
def sql(name: str) -> str:
    """The text of `store/sql/<name>.sql`."""
    return resources.files("ccotel.store").joinpath("sql", f"{name}.sql").read_text("utf-8")


def current_hour() -> datetime:
    """The start of the current hour, in the store's time (naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def connect(data_dir: Path, *, read_only: bool = False,
            memory_limit: str = MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """Open (and when writable, create or migrate) the store in `data_dir`; writable, the
    data dir and its files are made private (`store/files.py`)."""
    path = db_path(data_dir)
    if read_only and not path.exists():
        raise SchemaError(f"no ccotel store at {path}: run 'ccotel serve' or 'ccotel import' first")
    try:
        if not read_only:
            path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only,
                             config={"memory_limit": memory_limit, "threads": 2})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreInUse(
                f"the store in {path.parent} is being written by another process (an "
                "import?): retry when it is done, or run 'ccotel serve' so reports and "
                "imports share it" if read_only else
                f"the store in {path.parent} is in use by another process (another "
                "'ccotel serve', a report or an import): retry when it is done, or use "
                "another --data-dir") from None
        raise StoreError(f"cannot open the store in {path.parent}: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot open the store in {path.parent}: "
                         f"{exc.strerror or exc}") from None
    try:
        if read_only:
            check_version(con)
            install_macros(con, temp=True)
        else:
            make_private(path.parent)  # the file DuckDB created too, whatever the umask
            ensure_schema(con)
    except BaseException:
        con.close()
        raise
    return con


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "meta" not in tables:
        return None if not tables else 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def check_version(con: duckdb.DuckDBPyConnection) -> None:
    version = stored_version(con)
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"this store has schema version {version}, ccotel {SCHEMA_VERSION} expects "
            f"{SCHEMA_VERSION}: open it once with 'ccotel serve' to migrate, or use another "
            "--data-dir")


MACRO_FILES = ("macros", "attrib_macros")


def install_macros(con: duckdb.DuckDBPyConnection, *, temp: bool = False) -> None:
    """Define the macros the queries share (`sql/macros.sql`, attribution's
    `sql/attrib_macros.sql`): stored in the file, or `temp` (a read-only connection: the
    file may come from an older ccotel without them; temporary macros come first in
    DuckDB's lookup, and belong to that connection alone)."""
    from ccotel.store import queries  # here: queries needs this module's `sql`

    for name in MACRO_FILES:
        text = queries.text(name)
        if temp:
            text = text.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO")
        con.execute(text)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    from ccotel.store import queries  # here: queries needs this module's `sql`

    version = stored_version(con)
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaError(
            f"this store was written by a newer ccotel (schema {version}, this one knows "
            f"{SCHEMA_VERSION}): upgrade ccotel or use another --data-dir")
    if version == 0:
        raise SchemaError("this DuckDB file is not a ccotel store (no schema version): "
                          "use another --data-dir")
    con.execute("BEGIN TRANSACTION")
    try:
        if version is not None and version < 7:
            # 6 -> 7: attrib_hourly has new columns; schema.sql creates it anew.
            con.execute("DROP TABLE IF EXISTS attrib_hourly")
        queries.run(con, "schema")
        install_macros(con)
        if version is not None and version < 2:
            # 1 -> 2: the rollups are new; build them from the rows already stored.
            queries.run(con, "rollup_rebuild_all")
        elif version is not None and version < 7:
            # 5 -> 7: attribution's rollup and session_git are new (again); build them
            # from the events stored. Every other rollup is rebuilt too: before 7 they
            # counted a session's git record (`ccotel.git`) as an event.
            from ccotel.store import rollups

            queries.run(con, "attrib_rebuild_all")
            rollups.rebuild_stored(con)
        # 2 -> 3, and new stores: every row so far is rolled up (schema 2 did it at each
        # commit), so the rollups start complete up to the current hour.
        queries.run(con, "rollup_until_init", hour=current_hour())
        if version is not None and version < 9:
            # 7 -> 8: the daily rollups are new; 8 -> 9: requests_daily is; build them
            # (all of them: rebuild_days writes every daily rollup) from attrib_hourly.
            from ccotel.store import rollups

            rollups.rebuild_days(con, [d for (d,) in con.execute(
                "SELECT DISTINCT date_trunc('day', hour) FROM attrib_hourly").fetchall()])
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def arrow_schema(con: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """Arrow schema for building a batch of `table` rows from Python dicts."""
    import pyarrow as pa  # here, not at the top: reports start faster without it

    types = {"VARCHAR": pa.string(), "JSON": pa.string(), "BIGINT": pa.int64(),
             "UBIGINT": pa.uint64(), "INTEGER": pa.int64(), "DOUBLE": pa.float64(),
             "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us")}
    fields = []
    for name, dtype in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall():
        fields.append(pa.field(name, pa.float64() if dtype.startswith("DECIMAL")
                               else types[dtype]))
    return pa.schema(fields)

"""The writer's work between commits: retention, rolling up ended hours, compaction.

It runs on the writer thread (`Writer` calls `due` after each group and when idle), so it
never races a commit. It also keeps two marks the commits read: `until` (rolled_until:
rows before it are rolled up in the transaction that inserts them) and `retained_since`
(the hours before it have had retention applied; a late row older than that moves it
back, or its hour's rollups would outlive its rows).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import duckdb

from ccotel.store import queries, rollups, schema

log = logging.getLogger("ccotel.writer")


class Maintenance:
    """Retention every `retention_interval_s` (when `retention` is set), roll-up advance
    and compaction every `compact_interval_s`, on the writer's connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, retention: timedelta | None = None,
                 retention_interval_s: float = 3600.0,
                 compact_interval_s: float = 10.0) -> None:
        self._con = con
        self.retention = retention
        self.retention_interval_s = retention_interval_s
        self.compact_interval_s = compact_interval_s
        self.until = rollups.rolled_until(con)  # see rollups.advance
        self.retained_since = datetime.min
        self._last_retention = 0.0
        self._last_compact = 0.0

    def late(self, oldest: datetime) -> None:
        """Rows from `oldest` on were just inserted: if retention had settled their hours,
        the next run looks at them again."""
        if oldest < self.retained_since:
            self.retained_since = oldest.replace(minute=0, second=0, microsecond=0)

    def due(self) -> None:
        """Run what is due; log failures, never raise (maintenance must not stop ingest:
        readers use raw rows meanwhile)."""
        now = time.monotonic()
        if self.retention is not None and now - self._last_retention >= self.retention_interval_s:
            self._last_retention = now
            try:
                self.apply_retention()
            except Exception:
                log.exception("retention failed")
        if now - self._last_compact >= self.compact_interval_s:
            self._last_compact = now
            try:
                self.roll_up()
            except Exception:
                log.exception("rollup maintenance failed")

    def apply_retention(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention period, and their rollups; return how many
        raw rows went."""
        assert self.retention is not None
        cutoff = (now or datetime.now(UTC)).replace(tzinfo=None) - self.retention
        removed = 0
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            for query, bound in queries.statements("retention", cutoff=cutoff):
                row = con.execute(query, bound).fetchone()
                removed += int(row[0]) if row else 0
            rollups.forget_before(con, cutoff, self.retained_since)
            con.execute("COMMIT")
            # Hours before this cutoff are settled: the next run only looks at newer ones.
            self.retained_since = cutoff.replace(minute=0, second=0, microsecond=0)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
        return removed

    def settle(self) -> None:
        """Roll up every ended hour, compact every hour and checkpoint."""
        self.until = rollups.advance(self._con, schema.current_hour())
        rollups.compact(self._con, limit=None)
        self._con.execute("CHECKPOINT")

    def roll_up(self) -> None:
        """Roll up the hours that have ended (`rollups.advance`), then compact a few hours
        that received late rows."""
        self.until = rollups.advance(self._con, schema.current_hour())
        rollups.compact(self._con, before=self.until)

"""The persistent outbox of `serve --forward`: what was accepted, waiting to be sent on.

The writer calls `Outbox.put` inside the transaction that stores a group's rows, so a
request is in the outbox exactly when its rows are in the store: a crash before the commit
leaves neither (the client retries), a crash after leaves both (the sender resumes from
the table after a restart). Requests are kept as the OTLP protobuf that arrived (JSON
requests re-encoded as protobuf), so the resource, attributes, timestamps and temporality
reach the target unchanged and its dedupe recognises a request sent twice. Every change
to the table is a write function run by the writer: `put` in its commit, `forget_others`,
`sent` and `trim` handed to it by the server and the senders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from ccotel.store import queries
from ccotel.store.writing import writes

if TYPE_CHECKING:
    from ccotel.store.rows import Batch


class Outbox:
    """The forward targets (their URLs), for the writer's commit."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = list(targets)

    @writes
    def put(self, con: duckdb.DuckDBPyConnection, batches: list[Batch]) -> None:
        """Queue each batch's request for every target, on the writer's open transaction."""
        rows = [{"target": t, "signal": b.signal, "body": b.request}
                for b in batches if b.request is not None and b.records
                for t in self.targets]
        if rows:
            queries.check("outbox_put", rows[0])
            con.executemany(queries.text("outbox_put"), rows)

    @writes
    def forget_others(self, con: duckdb.DuckDBPyConnection) -> int:
        """Drop requests waiting for targets no longer configured; return how many."""
        return len(queries.run(con, "outbox_forget", targets=self.targets).fetchall())


@writes
def sent(con: duckdb.DuckDBPyConnection, row_id: int) -> None:
    """A request the target took (or refused for good) leaves the outbox."""
    queries.run(con, "outbox_delete", id=row_id)


@writes
def trim(con: duckdb.DuckDBPyConnection, target: str, max_bytes: int) -> int:
    """Past `max_bytes` waiting for `target`, drop the oldest requests; return how many."""
    return len(queries.run(con, "outbox_trim", target=target,
                           max_bytes=max_bytes).fetchall())

"""A telemetry session with a git record, stored as the server stores them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ccotel.importer.gitrecord import git_batch
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.attribution.helpers import Req, body
from tests.limits.helpers import utcnow


def telemetry_session_with_git(data: Path, session: str) -> None:
    con = schema.connect(data)
    try:
        w = Writer(con)
        w.write_now(decode_request("logs", body([Req(session, Decimal("0.5"))], utcnow()),
                                   "json"))
        w.write_now(git_batch(session, {"repo": "github.com/acme/other", "branch": "main"}))
    finally:
        con.close()

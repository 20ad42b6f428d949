"""`--redact emails` leaves no plain digest of an address anywhere: not in the DuckDB file,
its WAL, or any API answer.

A digest that is not keyed is as good as the address: anyone can hash a list of addresses
and look for matches. Row keys are digests of a record's attributes (a metric point's
series key covers `user.email`), so they must be re-keyed too. Witnesses: SHA-256 of the
address, computed here, and the keys a server *without* `--redact` stores for the same
data (read from its DuckDB file), which must not show up in the redacted store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ccotel.store import schema
from tests.conftest import Server, claude_result
from tests.reliability.conftest import serve
from tests.reliability.test_redact import EMAIL, details_with_email, send, store_bytes

pytestmark = pytest.mark.e2e


def plain_digests() -> set[str]:
    """Unkeyed digests of the address, as a careless redaction would store them."""
    out = set()
    for text in {EMAIL, EMAIL.lower()}:
        raw = text.encode()
        out |= {hashlib.sha256(raw).hexdigest(), hashlib.sha256(raw).hexdigest()[:32],
                hashlib.sha256(raw).hexdigest()[:16]}
    return out


def stored_keys(data_dir: Path) -> set[str]:
    """Content digests a store holds as row keys: series keys, and the event keys of
    records without session.id/event.sequence."""
    con = schema.connect(data_dir, read_only=True)
    try:
        return {k for (k,) in con.execute(
            "SELECT series_key FROM points UNION "
            "SELECT event_key FROM events WHERE event_key NOT LIKE '%/%'").fetchall()}
    finally:
        con.close()


def api_text(srv: Server) -> str:
    """Every JSON answer of the dashboard API for everything stored, and the metrics."""
    def get(url: str, **params: str) -> str:
        resp = httpx.get(url, params=params, timeout=30)
        assert resp.status_code == 200, (url, resp.text)
        return resp.text

    texts = [get(f"{srv.ui}/api/v1/summary", **{"from": "0"}),
             get(f"{srv.ui}/api/v1/filters", **{"from": "0"}),
             get(f"{srv.ui}/api/v1/logs", **{"from": "0", "limit": "1000"}),
             get(f"{srv.ui}/api/v1/sessions/{claude_result('details')['session_id']}"),
             get(srv.metrics.replace("/metrics", "/metrics/claude-code"))]
    panels = httpx.get(f"{srv.ui}/api/v1/panels", timeout=30).json()["panels"]
    assert panels
    for p in panels:
        texts.append(get(f"{srv.ui}/api/v1/panels/{p['id']}", **{"from": "0"}))
    for name in ("daily", "session", "users"):
        texts.append(get(f"{srv.ui}/api/v1/report/{name}", since="20000101", source="all"))
    return "\n".join(texts)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The control: the same data without --redact."""
    s = serve(tmp_path_factory.mktemp("plain-keys") / "data")
    send(s, details_with_email())
    s.stop()
    yield s


def test_no_plain_digest_of_the_address_is_stored_or_served(tmp_path: Path,
                                                           plain: Server) -> None:
    plain_keys = stored_keys(plain.data_dir)
    assert plain_keys
    # The control's store holds its keys as text: the byte search can find them.
    assert any(k.encode() in store_bytes(plain.data_dir) for k in plain_keys)
    forbidden = plain_digests() | plain_keys
    data = tmp_path / "data"
    srv = serve(data, "--redact", "emails")
    try:
        send(srv, details_with_email())
        api = api_text(srv)
        assert EMAIL.lower() not in api.lower()
        assert [d for d in forbidden if d in api] == []
        assert [d for d in forbidden if d.encode() in store_bytes(data)] == []
    finally:
        srv.stop()
    # After the final checkpoint too.
    assert [d for d in forbidden if d.encode() in store_bytes(data)] == []

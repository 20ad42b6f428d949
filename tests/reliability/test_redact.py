"""Privacy: `--redact prompts,responses,tool-details,emails` on the `details` capture (Claude
Code run with OTEL_LOG_USER_PROMPTS=1 OTEL_LOG_TOOL_DETAILS=1). Nothing redacted reaches the
DuckDB file or its WAL (the bytes are searched), totals are unchanged, and a hashed email
still identifies one user, across restarts."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccotel import redact
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from tests.conftest import Server, capture_requests, claude_result
from tests.reliability.conftest import serve

EMAIL = "Dev.Person@example.com"
# What the details capture reveals, per category, and must not be stored when redacted.
SECRETS = {
    "prompts": ["show details run echo"],
    "responses": ["Done: hello"],
    "tool-details": ["hello-from-tool", "say hello"],
    "emails": [EMAIL, EMAIL.lower()],
}
ALL = ",".join(redact.CATEGORIES)


def details_with_email() -> list[dict[str, Any]]:
    """The details capture with `user.email` on every record, point, span and resource,
    as Claude Code sends it for a signed-in account."""
    email = {"key": "user.email", "value": {"stringValue": EMAIL}}
    out = []
    for req in capture_requests("details"):
        req = copy.deepcopy(req)
        body = req["body"]
        for res_key, scope_key, item_key in (("resourceLogs", "scopeLogs", "logRecords"),
                                             ("resourceMetrics", "scopeMetrics", "metrics"),
                                             ("resourceSpans", "scopeSpans", "spans")):
            for res in body.get(res_key, []):
                res.setdefault("resource", {}).setdefault("attributes", []).append(email)
                for scope in res.get(scope_key, []):
                    for item in scope.get(item_key, []):
                        if item_key != "metrics":
                            item.setdefault("attributes", []).append(email)
                            continue
                        for kind in ("sum", "gauge", "histogram"):
                            for dp in item.get(kind, {}).get("dataPoints", []):
                                dp.setdefault("attributes", []).append(email)
        out.append(req)
    return out


def send(srv: Server, requests: list[dict[str, Any]]) -> None:
    for req in requests:
        r = httpx.post(srv.http + req["path"], content=json.dumps(req["body"]), timeout=30,
                       headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text


def store_bytes(data_dir: Path) -> bytes:
    """Every byte ccotel keeps in its data dir: the DuckDB file, its WAL, anything else."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file())


def found(data: bytes, categories: list[str]) -> list[str]:
    return [s for c in categories for s in SECRETS[c] if s.encode() in data]


# -- parsing --------------------------------------------------------------------------------


def test_parse_categories() -> None:
    assert redact.parse("") == frozenset()
    assert redact.parse(" prompts , EMAILS ") == {"prompts", "emails"}
    assert redact.parse("all") == set(redact.CATEGORIES)
    with pytest.raises(redact.RedactError, match="'prompt' is unknown: use any of prompts"):
        redact.parse("prompt")


@pytest.mark.e2e
def test_an_unknown_redact_value_is_a_clear_startup_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="'--redact': 'passwords' is unknown"):
        serve(tmp_path / "d", "--redact", "prompts,passwords")


# -- in process -------------------------------------------------------------------------------


@pytest.mark.parametrize("category", redact.CATEGORIES)
def test_each_category_removes_its_attributes_and_only_those(category: str) -> None:
    r = redact.Redactor(frozenset({category}), b"k" * 32)
    for req in details_with_email():
        signal = req["path"].rsplit("/", 1)[1]
        batch = decode_request(signal, json.dumps(req["body"]).encode(), "json")  # type: ignore[arg-type]
        before = json.dumps([batch.events, batch.points, batch.spans], default=str)
        r(batch)
        after = json.dumps([batch.events, batch.points, batch.spans], default=str)
        assert not found(after.encode(), [category])
        others = [c for c in SECRETS if c != category]
        assert found(after.encode(), others) == found(before.encode(), others)


def test_email_hash_is_keyed_stable_and_case_blind() -> None:
    a, b = redact.Redactor(frozenset({"emails"}), b"a" * 32), redact.Redactor(
        frozenset({"emails"}), b"b" * 32)
    assert a.hash_email(EMAIL) == a.hash_email(EMAIL.lower()) == a.hash_email(f" {EMAIL} ")
    assert a.hash_email(EMAIL) != b.hash_email(EMAIL)  # useless without this server's key
    assert a.hash_email(EMAIL) != a.hash_email("other@example.com")
    assert a.hash_email(EMAIL).startswith("user-")


def test_the_key_is_created_once_and_private(tmp_path: Path) -> None:
    key = redact.load_key(tmp_path)
    assert redact.load_key(tmp_path) == key and len(key) == 32
    assert (tmp_path / redact.KEY_FILE).stat().st_mode & 0o077 == 0


# -- a live server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The control: the same data without --redact, to prove the byte search can see it."""
    s = serve(tmp_path_factory.mktemp("plain") / "data")
    send(s, details_with_email())
    yield s
    s.stop()


@pytest.mark.e2e
def test_nothing_redacted_reaches_the_store_and_totals_hold(tmp_path: Path, plain: Server) -> None:
    data = tmp_path / "data"
    srv = serve(data, "--redact", ALL)
    try:
        send(srv, details_with_email())
        redacted_summary, plain_summary = srv.summary(), plain.summary()
        # While running: the WAL and the file hold the rows, and none of the secrets.
        assert found(store_bytes(data), list(SECRETS)) == []
    finally:
        srv.stop()
    assert found(store_bytes(data), list(SECRETS)) == []  # after the final checkpoint too
    # The control server's store does hold them: the search is not blind to DuckDB's format.
    plain.stop()
    seen = set(found(store_bytes(plain.data_dir), list(SECRETS)))
    assert all(seen & set(values) for values in SECRETS.values()), seen

    result = claude_result("details")
    for key in ("requests", "tool_calls", "tool_failures", "tokens", "cost_usd", "sessions",
                "users", "lines_added", "commits"):
        assert redacted_summary[key] == plain_summary[key], key
    assert redacted_summary["cost_usd"] == pytest.approx(result["total_cost_usd"], abs=1e-12)

    # Usage and shape stay: lengths and sizes are kept, the attributes are marked.
    con = schema.connect(data, read_only=True)
    try:
        prompt = json.loads(con.execute("SELECT attributes FROM events WHERE event_name = "
                                        "'user_prompt'").fetchone()[0])
        assert prompt["prompt"] == redact.REDACTED and prompt["prompt_length"] == 21
        emails = {r[0] for r in con.execute(
            "SELECT user_email FROM events UNION SELECT user_email FROM points").fetchall()}
    finally:
        con.close()
    assert len(emails) == 1 and next(iter(emails)).startswith("user-")


@pytest.mark.e2e
def test_a_hashed_email_is_one_user_across_restarts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = details_with_email()
    srv = serve(data, "--redact", "emails")
    try:
        send(srv, [r for r in first if r["path"] == "/v1/logs"])
    finally:
        srv.stop()
    # Same address, new session, after a restart: the same hashed user.
    again = copy.deepcopy([r for r in first if r["path"] == "/v1/logs"])
    text = json.dumps(again).replace(claude_result("details")["session_id"], "second-session")
    srv = serve(data, "--redact", "emails")
    try:
        send(srv, json.loads(text))
        s = srv.summary()
        assert s["sessions"] == 2 and s["users"] == 1
    finally:
        srv.stop()
    con = schema.connect(data, read_only=True)
    try:
        (n,) = con.execute("SELECT count(DISTINCT user_email) FROM events").fetchone()
    finally:
        con.close()
    assert n == 1

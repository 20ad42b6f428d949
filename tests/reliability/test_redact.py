"""Privacy: `--redact prompts,responses,tool-details,emails` on the `details` capture (Claude
Code run with OTEL_LOG_USER_PROMPTS=1 OTEL_LOG_TOOL_DETAILS=1). Nothing redacted reaches the
DuckDB file or its WAL (the bytes are searched), totals are unchanged, and a hashed email
still identifies one user, across restarts."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from ccotel import redact
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from tests.conftest import Server, capture_requests, claude_result
from tests.otlp_client import TRANSPORTS, export
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


def _point_request(value: AnyValue) -> bytes:
    dp = NumberDataPoint(time_unix_nano=5, as_int=1,
                         attributes=[KeyValue(key="tags", value=value)])
    return ExportMetricsServiceRequest(resource_metrics=[ResourceMetrics(scope_metrics=[
        ScopeMetrics(metrics=[Metric(name="m", sum=Sum(data_points=[dp]))])])]
    ).SerializeToString()


def test_addresses_are_hashed_at_any_depth_and_keys_come_from_the_redacted_rows() -> None:
    r = redact.Redactor(frozenset({"emails"}), b"k" * 32)
    hashed = r.hash_email(MARK)

    def deep(leaf: str) -> AnyValue:
        return AnyValue(array_value=ArrayValue(values=[AnyValue(kvlist_value=KeyValueList(
            values=[KeyValue(key="owner", value=AnyValue(string_value=f"by {leaf}")),
                    KeyValue(key="user.email", value=AnyValue(array_value=ArrayValue(
                        values=[AnyValue(string_value=leaf)])))]))]))

    batch = decode_request("metrics", _point_request(deep(MARK)), "protobuf")
    raw_key = batch.points[0]["series_key"]
    r(batch)
    (row,) = batch.points
    assert json.loads(row["attributes"]) == {
        "tags": [{"owner": f"by {hashed}", "user.email": [hashed]}]}
    # The series key is the one the redacted values themselves would have: no digest of
    # the raw address is kept.
    as_if = decode_request("metrics", _point_request(AnyValue(array_value=ArrayValue(
        values=[AnyValue(kvlist_value=KeyValueList(values=[
            KeyValue(key="owner", value=AnyValue(string_value=f"by {hashed}")),
            KeyValue(key="user.email", value=AnyValue(array_value=ArrayValue(
                values=[AnyValue(string_value=hashed)])))]))]))), "protobuf")
    assert row["series_key"] == as_if.points[0]["series_key"] != raw_key


def test_addresses_in_free_text_are_hashed_and_look_alikes_kept() -> None:
    r = redact.Redactor(frozenset({"emails"}), b"k" * 32)
    assert r.scrub(f"mail {EMAIL}.") == f"mail {r.hash_email(EMAIL)}."
    for kept in ("npm i react@18.2.0", "claude-3-5-sonnet@20240620", "@mention", "a@b"):
        assert r.scrub(kept) == kept


def test_a_hostile_value_is_scrubbed_in_linear_time() -> None:
    """Runs of address characters that end in no address: a regex that tried a local part
    from every position would take hours over these (quadratic), not a fraction of a
    second."""
    r = redact.Redactor(frozenset({"emails"}), b"k" * 32)
    for text in ("a" * 1_000_000 + "@", "a@" + "1." * 500_000 + "1", "@." * 500_000):
        start = time.perf_counter()
        assert r.scrub(text) == text
        assert time.perf_counter() - start < 5.0  # about 0.1 s; the slack is for load


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


# -- property: an address anywhere, over every transport ------------------------------------

MARK = "mk.Zq7@marker-host.example"
SECRET = "Zq-prompt-secret-7731"  # under a key that --redact drops
DROPPED_KEYS = sorted(set().union(*redact.DROPPED.values()))
# The marker and what would betray it: its plain sha256 digest, any case.
BETRAYALS = [s.lower().encode() for s in (
    MARK, SECRET, *(hashlib.sha256(m.encode()).hexdigest() for m in (MARK, MARK.lower())))]
KEYS = ["user.email", "owner.email", "Email", "contact", "tags", "x", "session.id",
        "user.id", "model", "tool_name", MARK]
PLACES = {"logs": ["resource", "scope", "record", "body"],
          "metrics": ["resource", "scope", "point"],
          "traces": ["resource", "scope", "span", "event", "link"]}

marked = st.sampled_from([MARK, MARK.upper(), f"sent by {MARK}, twice", f"<{MARK}>"])
secret = st.sampled_from([SECRET, f"echo {SECRET}"])
plain_leaf = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.booleans())


def _leaf(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=value)


@st.composite
def nested(draw: st.DrawFn, leaf: st.SearchStrategy[str], under: str | None = None) -> AnyValue:
    """A marker at the bottom of a random path of arrays and kvlists (any key, the
    marker's own too), with random siblings at each level; `under`: the marker is the
    value of that key at the bottom."""
    value = _leaf(draw(leaf))
    if under is not None:
        value = AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=under, value=value)]))
    for kind in draw(st.lists(st.sampled_from(["array", "kvlist"]), max_size=5)):
        siblings = [_leaf(v) for v in draw(st.lists(plain_leaf, max_size=2))]
        at = draw(st.integers(0, len(siblings)))
        siblings.insert(at, value)
        if kind == "array":
            value = AnyValue(array_value=ArrayValue(values=siblings))
        else:
            keys = [draw(st.sampled_from(KEYS)) + str(i) for i in range(len(siblings))]
            value = AnyValue(kvlist_value=KeyValueList(
                values=[KeyValue(key=k, value=v) for k, v in zip(keys, siblings, strict=True)]))
    return value


@st.composite
def placement(draw: st.DrawFn, signal: str) -> tuple[str, str, AnyValue]:
    """(place, attribute key, value): an address anywhere, or a secret under a dropped
    key, that key an attribute of its own or nested at any depth."""
    place = draw(st.sampled_from(PLACES[signal]))
    if draw(st.booleans()):
        return place, draw(st.sampled_from(KEYS)), draw(nested(marked))
    key = draw(st.sampled_from(DROPPED_KEYS))
    if place != "body" and draw(st.booleans()):
        return place, key, draw(nested(secret))
    return place, draw(st.sampled_from(KEYS)), draw(nested(secret, under=key))


_clock = itertools.count(time.time_ns() - 3_600_000_000_000, 1_000_003)


def build(signal: str, places: list[tuple[str, str, AnyValue]]) -> Any:
    """One export request of `signal` with the marked values at their places."""
    at: dict[str, list[KeyValue]] = {}
    body = None
    for place, key, value in places:
        if place == "body":
            body = value
        else:
            at.setdefault(place, []).append(KeyValue(key=key, value=value))
    t = next(_clock)
    resource = Resource(attributes=at.get("resource", []))
    scope = InstrumentationScope(name="s", attributes=at.get("scope", []))
    if signal == "logs":
        rec = LogRecord(time_unix_nano=t, body=body or AnyValue(string_value="claude_code.x"),
                        attributes=[KeyValue(key="event.name", value=AnyValue(
                            string_value="api_request")), *at.get("record", [])])
        return ExportLogsServiceRequest(resource_logs=[ResourceLogs(
            resource=resource, scope_logs=[ScopeLogs(scope=scope, log_records=[rec])])])
    if signal == "metrics":
        dp = NumberDataPoint(start_time_unix_nano=t - 10**9, time_unix_nano=t, as_int=3,
                             attributes=at.get("point", []))
        metric = Metric(name="claude_code.cost.usage", unit="USD", sum=Sum(
            data_points=[dp], aggregation_temporality=2, is_monotonic=True))
        return ExportMetricsServiceRequest(resource_metrics=[ResourceMetrics(
            resource=resource, scope_metrics=[ScopeMetrics(scope=scope, metrics=[metric])])])
    ids = t.to_bytes(16, "big")
    span = Span(trace_id=ids, span_id=ids[8:], name="claude_code.interaction",
                start_time_unix_nano=t, end_time_unix_nano=t + 5,
                attributes=at.get("span", []),
                events=[Span.Event(name="e", time_unix_nano=t, attributes=at.get("event", []))],
                links=[Span.Link(trace_id=ids, span_id=ids[:8], attributes=at.get("link", []))])
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        resource=resource, scope_spans=[ScopeSpans(scope=scope, spans=[span])])])


def everything_served(srv: Server) -> bytes:
    """Every API answer (summary, logs, filters, every panel, every session), both
    metrics expositions and the server's own output."""
    with httpx.Client(base_url=srv.ui, timeout=30) as ui:
        out = [ui.get("/api/v1/summary", params={"from": "0"}).content]
        filters = ui.get("/api/v1/filters", params={"from": "0"})
        out.append(filters.content)
        logs = ui.get("/api/v1/logs", params={"from": "0", "limit": "1000"})
        assert not logs.json()["has_more"]
        out.append(logs.content)
        for panel in ui.get("/api/v1/panels").json()["panels"]:
            out.append(ui.get(f"/api/v1/panels/{panel['id']}", params={"from": "0"}).content)
        for session in filters.json()["sessions"]:
            out.append(ui.get(f"/api/v1/sessions/{quote(session['value'], safe='')}").content)
    out.append(httpx.get(srv.metrics + "/claude-code", timeout=30).content)
    out.append(httpx.get(srv.metrics, timeout=30).content)
    out.append(srv.output.encode())
    for body in out:
        assert body  # every one answered something to search
    return b"\n".join(out)


def betrayed(data: bytes) -> list[bytes]:
    low = data.lower()
    return [b for b in BETRAYALS if b in low]


@pytest.mark.e2e
def test_nothing_redacted_survives_any_nesting_signal_or_transport(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = serve(data, "--redact", ALL)
    channel = grpc.insecure_channel(srv.grpc)
    sent: list[str] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(signal=st.sampled_from(sorted(PLACES)),
           transport=st.sampled_from(TRANSPORTS), data=st.data())
    def send_one(signal: str, transport: str, data: st.DataObject) -> None:
        places = data.draw(st.lists(placement(signal), min_size=1, max_size=3))
        export(srv, transport, signal, build(signal, places), channel)
        sent.append(f"{signal}/{transport}")

    try:
        send_one()
        assert {s.split("/")[0] for s in sent} == set(PLACES)
        assert {s.split("/")[1] for s in sent} == set(TRANSPORTS)
        assert betrayed(store_bytes(data)) == []  # the WAL and the file, while running
        assert betrayed(everything_served(srv)) == []
    finally:
        channel.close()
        srv.stop()
    assert betrayed(store_bytes(data)) == []  # after the final checkpoint too


@pytest.mark.e2e
def test_the_marker_search_sees_an_unredacted_address(tmp_path: Path) -> None:
    """The control: without --redact the same search finds the markers, nested."""
    srv = serve(tmp_path / "data")
    value = AnyValue(array_value=ArrayValue(values=[AnyValue(kvlist_value=KeyValueList(
        values=[KeyValue(key="owner.email", value=AnyValue(string_value=MARK)),
                KeyValue(key="prompt", value=AnyValue(string_value=SECRET))]))]))
    try:
        for signal, place in (("logs", "record"), ("metrics", "point"), ("traces", "span")):
            with grpc.insecure_channel(srv.grpc) as channel:
                export(srv, "grpc", signal, build(signal, [(place, "tags", value)]), channel)
        assert len(betrayed(store_bytes(srv.data_dir))) == 2  # the address and the secret
        assert len(betrayed(everything_served(srv))) == 2
    finally:
        srv.stop()

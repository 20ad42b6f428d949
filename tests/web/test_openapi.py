"""The OpenAPI document at /api/v1/openapi.json: it names exactly the API's routes, and a
live `ccotel serve` holding data answers schemathesis' generated requests as it says,
with no 5xx other than a backpressure 503 that carries Retry-After."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Route
from starlette.testclient import TestClient

from ccotel.store import schema
from ccotel.web import imports as import_api
from ccotel.web import openapi
from ccotel.web import reports as report_api
from ccotel.web.app import WebContext, build_app
from tests.conftest import Server, capture_requests, start_server
from tests.web import known

# Generated requests per operation and mode (positive: valid by the document; negative:
# not). About 10 operations x 2 modes: a few hundred requests, under a minute on CI.
# CCOTEL_FUZZ_EXAMPLES=500 digs deeper by hand.
EXAMPLES = int(os.environ.get("CCOTEL_FUZZ_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Any]]:
    """The UI port's routes as `ccotel serve` builds them (import and report APIs too)."""
    con = schema.connect(tmp_path_factory.mktemp("empty"))
    ctx = WebContext(con.cursor)
    app = build_app(ctx, [*import_api.routes(ctx), *report_api.routes(ctx)])
    yield app.routes
    con.close()


def test_every_api_route_is_described_and_every_description_has_a_route(
        app_routes: list[Any]) -> None:
    doc = openapi.document(app_routes)
    served = {(r.path, m.lower()) for r in openapi.api_routes(app_routes)
              for m in (r.methods or {"GET"}) if m != "HEAD"}
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert described == served
    assert {p for p, _ in served} >= {"/api/v1/summary", "/api/v1/logs", "/api/v1/openapi.json",
                                      "/api/v1/report/{name}", "/api/v1/import/chunk"}


def test_a_route_without_a_description_is_refused(app_routes: list[Any]) -> None:
    async def undocumented(request: Any) -> Any: ...
    with pytest.raises(LookupError, match="/api/v1/new"):
        openapi.document([*app_routes, Route("/api/v1/new", undocumented)])
    described = openapi.operation("x", openapi.STRING, method="post")(undocumented)
    with pytest.raises(LookupError, match="POST"):
        openapi.document([Route("/api/v1/new", described, methods=["GET"])])


def test_parameters_carry_types_and_bounds_and_errors_the_envelope(
        app_routes: list[Any]) -> None:
    doc = openapi.document(app_routes)
    logs = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/logs"]["get"]["parameters"]}
    assert logs["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    assert logs["after"]["maximum"] == 2**63 - 1
    for path, ops in doc["paths"].items():
        for op in ops.values():
            responses = op["responses"]
            assert "200" in responses, path
            for status in ("429", "503"):
                assert responses[status]["headers"]["Retry-After"]["required"], path
            for status, r in responses.items():
                if status != "200":
                    assert r["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}
                    assert set(r["content"]) <= {"application/json", "text/plain"}


def test_served_at_its_path_and_valid_for_schemathesis(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    ctx = WebContext(con.cursor)
    client = TestClient(build_app(ctx, report_api.routes(ctx)))
    resp = client.get(openapi.PATH)
    assert resp.status_code == 200 and resp.json()["openapi"].startswith("3.")
    loaded = schemathesis.openapi.from_dict(resp.json())
    assert all(r.ok() for r in loaded.get_all_operations())
    con.close()


# -- fuzzing a live server -----------------------------------------------------------------

def _attrs(**values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k.replace("_", ".") if k.startswith("x_") else k, "value": v}
            for k, v in values.items()]


def non_finite_telemetry(session: str) -> list[tuple[str, dict[str, Any]]]:
    """OTLP/JSON requests whose doubles are NaN and infinities (OTLP allows them)."""
    now = time.time_ns()
    nan, inf = {"doubleValue": "NaN"}, {"doubleValue": "Infinity"}
    sid = {"stringValue": session}
    resource = {"attributes": _attrs(**{"service.name": {"stringValue": "claude-code"}},
                                     x_nan=nan)}
    record = {"timeUnixNano": str(now), "body": {"stringValue": "claude_code.api_request"},
              "attributes": _attrs(**{"event.name": {"stringValue": "api_request"},
                                      "session.id": sid, "event.sequence": {"intValue": "1"}},
                                   cost_usd=nan, duration_ms=inf, input_tokens=nan,
                                   x_nan=nan, x_inf={"doubleValue": "-Infinity"})}

    def point(value: str, **attrs: dict[str, Any]) -> dict[str, Any]:
        return {"timeUnixNano": str(now), "startTimeUnixNano": str(now - 10**9),
                "asDouble": value, "attributes": _attrs(**{"session.id": sid}, **attrs)}

    metrics = [
        {"name": f"claude_code.{name}", "sum": {
            "aggregationTemporality": 1, "isMonotonic": True, "dataPoints": [point(v, **a)]}}
        for name, v, a in (("cost.usage", "NaN", {"model": {"stringValue": "m"}}),
                           ("token.usage", "Infinity", {"type": {"stringValue": "input"}}),
                           ("lines_of_code.count", "NaN", {"type": {"stringValue": "added"}}),
                           ("commit.count", "Infinity", {}),
                           ("active_time.total", "NaN", {"type": {"stringValue": "cli"}}))]
    return [("/v1/logs", {"resourceLogs": [{"resource": resource,
                                            "scopeLogs": [{"logRecords": [record]}]}]}),
            ("/v1/metrics", {"resourceMetrics": [{"resource": resource,
                                                  "scopeMetrics": [{"metrics": metrics}]}]})]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    known.write(data, datetime.now(UTC).replace(tzinfo=None))
    srv = start_server(data)
    try:
        requests = [(r["path"], r["body"]) for r in capture_requests("details")]
        # Real spans, prompts and tool details, and numbers JSON cannot spell.
        for path, body in [*requests, *non_finite_telemetry("s-non-finite")]:
            r = httpx.post(srv.http + path, json=body, timeout=30)
            assert r.status_code == 200, r.text
        yield srv
    finally:
        srv.stop()


def only_backpressure_5xx(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx but a backpressure 503, and that one says when to come back."""
    if response.status_code >= 500:
        assert response.status_code == 503, f"{response.status_code}: {response.text[:300]}"
        assert response.headers.get("retry-after"), "503 without Retry-After"
    return None


CHECKS = [only_backpressure_5xx, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def test_schemathesis_finds_no_response_outside_the_document(
        live: Server, record_property: Callable[[str, object], None]) -> None:
    doc = schemathesis.openapi.from_url(f"{live.ui}{openapi.PATH}")
    operations = [r.ok() for r in doc.get_all_operations()]
    assert len(operations) >= 9
    statuses: Counter[int] = Counter()
    for op in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                resp = case.call_and_validate(base_url=live.ui, checks=CHECKS, timeout=30)
                statuses[resp.status_code] += 1

            try:
                run()
            except Unsatisfiable:  # no invalid request exists for an operation without inputs
                assert mode == schemathesis.GenerationMode.NEGATIVE
    cases = sum(statuses.values())
    record_property("schemathesis_cases", cases)  # in the JUnit report of every run
    print(f"schemathesis: {cases} cases over {len(operations)} operations, "
          f"statuses {dict(sorted(statuses.items()))}")
    assert cases >= len(operations) * EXAMPLES  # every operation was really exercised
    assert statuses[200] and statuses[400]  # both valid and invalid requests got through
    assert "Traceback" not in live.output
    assert "unhandled error" not in live.output


def test_refusals_before_the_handlers_are_in_the_document_too(tmp_path: Path) -> None:
    """With --token: 401 without it, 403 for another Host, 429 + Retry-After after guessing;
    each checked against the document as the fuzzer checks a handler's answer."""
    srv = start_server(tmp_path / "data", "--token", "s3cret-token")
    try:
        doc = schemathesis.openapi.from_url(
            f"{srv.ui}{openapi.PATH}", headers={"Authorization": "Bearer s3cret-token"})
        seen: Counter[int] = Counter()
        cases: list[Any] = []
        for result in doc.get_all_operations():
            @settings(max_examples=1, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=result.ok().as_strategy())
            def refused(case: Any) -> None:
                for headers, status in (({}, 401), ({"Host": "evil.example"}, 403)):
                    resp = case.call(base_url=srv.ui, headers=headers, timeout=30)
                    assert resp.status_code == status, (case.operation.label, resp.text)
                    case.validate_response(resp, checks=CHECKS)
                    seen[status] += 1
                cases.append(case)

            refused()
        assert seen[401] == seen[403] >= 9
        # Last, as the throttle then holds this address back from everything.
        for _ in range(11):
            resp = cases[-1].call(base_url=srv.ui, timeout=30,
                                  headers={"Authorization": "Bearer wrong"})
        assert resp.status_code == 429
        cases[-1].validate_response(resp, checks=CHECKS)
    finally:
        srv.stop()


def test_non_finite_numbers_in_the_store_are_null_in_every_answer(live: Server) -> None:
    from ccotel.panels import PANELS
    from ccotel.report.data import REPORTS

    doc = schemathesis.openapi.from_url(f"{live.ui}{openapi.PATH}")
    urls = ["/api/v1/summary", "/api/v1/logs", "/api/v1/filters",
            "/api/v1/sessions/s-non-finite", *(f"/api/v1/panels/{p.id}" for p in PANELS),
            *(f"/api/v1/report/{name}" for name in REPORTS)]
    for url in urls:
        resp = httpx.get(live.ui + url, params={"from": "now-1h", "tz": "UTC"}, timeout=30)
        assert resp.status_code == 200, (url, resp.text)
        assert "NaN" not in resp.text and "Infinity" not in resp.text
        template = url if "/panels/" not in url and "/report/" not in url else \
            url.rsplit("/", 1)[0] + ("/{panel_id}" if "/panels/" in url else "/{name}")
        template = template.replace("s-non-finite", "{session_id}")
        op = doc[template]["GET"]
        op.validate_response(resp)
    session = httpx.get(live.ui + "/api/v1/sessions/s-non-finite", timeout=30).json()
    assert session["metrics"]["cost.usage"] is None  # a NaN sum

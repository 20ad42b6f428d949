"""/metrics/claude-code: the collector's names and labels, exact totals, token-protected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from ccotel.auth import Authenticator
from ccotel.claude import exposition
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer
from ccotel.web import claude_metrics
from tests.conftest import capture_requests


@pytest.mark.parametrize(("name", "unit", "want"), [
    ("claude_code.session.count", "", "claude_code_session_count_total"),
    ("claude_code.token.usage", "tokens", "claude_code_token_usage_tokens_total"),
    ("claude_code.cost.usage", "USD", "claude_code_cost_usage_USD_total"),
    ("claude_code.lines_of_code.count", "", "claude_code_lines_of_code_count_total"),
    ("claude_code.commit.count", "", "claude_code_commit_count_total"),
    ("claude_code.pull_request.count", "", "claude_code_pull_request_count_total"),
    ("claude_code.code_edit_tool.decision", "", "claude_code_code_edit_tool_decision_total"),
    ("claude_code.active_time.total", "s", "claude_code_active_time_seconds_total"),
    ("claude_code.api_request.count", None, "claude_code_api_request_count_total"),
    ("http.server.duration", "ms", "http_server_duration_milliseconds_total"),
    ("x.y", "{token}", "x_y_total"),
])
def test_names_follow_the_collector_prometheus_exporter(name: str, unit: str | None,
                                                        want: str) -> None:
    assert exposition.metric_name(name, unit) == want


def test_label_names_and_values() -> None:
    assert exposition.label_name("session.id") == "session_id"
    assert exposition.label_name("2fa") == "key_2fa"
    assert exposition.label_name("_x") == "key_x"
    assert exposition.label_value(True) == "true"
    assert exposition.label_value(5.0) == "5"


@pytest.fixture()
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    con = schema.connect(tmp_path)
    writer = Writer(con)
    for capture in ("edit", "bashfail", "api_error"):
        for r in capture_requests(capture):
            writer.write_now(decode_request(r["path"].rsplit("/", 1)[1],
                                            json.dumps(r["body"]).encode(), "json"))
    yield con
    con.close()


def _samples(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            name = series.split("{", 1)[0]
            out[name] = out.get(name, 0.0) + float(value)
    return out


def test_totals_equal_the_captures(store) -> None:  # type: ignore[no-untyped-def]
    text = exposition.render(store.cursor())
    totals = _samples(text)
    assert totals["claude_code_cost_usage_USD_total"] == pytest.approx(2 * 0.01578)
    assert totals["claude_code_token_usage_tokens_total"] == 2 * (2400 + 59 + 10000 + 600)
    assert totals["claude_code_api_request_count_total"] == 4
    assert totals["claude_code_api_error_count_total"] == 1
    assert totals["claude_code_tool_result_count_total"] == 2
    assert totals["claude_code_session_count_total"] == 3
    assert 'job="claude-code"' in text and 'service_version="2.1.332"' in text
    assert "instance=" not in text  # Claude Code sends no service.instance.id
    assert "# TYPE claude_code_cost_usage_USD_total counter" in text
    # Cached labels: a second scrape renders the same text.
    exp = exposition.Exposition()
    assert exp.render(store.cursor()) == exp.render(store.cursor()) == text


class _Ctx:
    def __init__(self, con, token: str | None) -> None:  # type: ignore[no-untyped-def]
        self.con = con
        self.auth = Authenticator(token)

    async def read(self, fn, *args):  # type: ignore[no-untyped-def]
        return fn(self.con.cursor(), *args)


def test_route_needs_the_token_when_ccotel_has_one(store) -> None:  # type: ignore[no-untyped-def]
    app = Starlette(routes=claude_metrics.routes(_Ctx(store, "t0ken")))
    client = TestClient(app)
    assert client.get(claude_metrics.PATH).status_code == 401
    resp = client.get(claude_metrics.PATH, headers={"Authorization": "Bearer t0ken"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    open_app = TestClient(Starlette(routes=claude_metrics.routes(_Ctx(store, None))))
    assert "claude_code_api_request_count_total" in open_app.get(claude_metrics.PATH).text

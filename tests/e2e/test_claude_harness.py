"""Proof that the harness works: the real Claude Code CLI against the stub API.

Each scenario runs the pinned CLI once, exporting OTLP/HTTP JSON to a recording server
defined here (no ccotel code involved), and checks three witnesses agree: the CLI's own
JSON result, what the stub served, and what the CLI exported and wrote to its transcript.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .anthropic_stub import (
    BASH_COMMAND,
    BASH_FAIL_COMMAND,
    EDIT_CONTENT,
    EDIT_FILE_NAME,
    FINAL_TEXT,
    PLAIN_TEXT,
    AnthropicStub,
    Message,
    ToolUse,
    Usage,
    tool_results,
)
from .claude_cli import ClaudeResult, otel_env, run_claude

pytestmark = pytest.mark.e2e


# --- a minimal OTLP/HTTP JSON receiver ---------------------------------------------------


class _RecorderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RecorderServer

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.posts.append((self.path, json.loads(raw or b"{}")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class _RecorderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecorderHandler)
        self.lock = threading.Lock()
        self.posts: list[tuple[str, Any]] = []


def _value(v: dict[str, Any]) -> Any:
    # OTLP JSON AnyValue -> Python; int64 may arrive as a string.
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [_value(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: _value(kv["value"]) for kv in v["kvlistValue"].get("values", [])}
    return next(iter(v.values()), None)


def _attrs(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {a["key"]: _value(a.get("value", {})) for a in items}


@dataclass(frozen=True)
class MetricPoint:
    name: str
    value: float
    attributes: dict[str, Any]


class OtlpRecorder:
    """Stores every OTLP/HTTP JSON POST (/v1/logs, /v1/metrics, /v1/traces)."""

    def __init__(self) -> None:
        self._server = _RecorderServer()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def posts(self, path: str) -> list[Any]:
        with self._server.lock:
            return [body for p, body in self._server.posts if p == path]

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Attributes of every log record (optionally only those with ``event.name``)."""
        found = []
        for body in self.posts("/v1/logs"):
            for rl in body.get("resourceLogs", []):
                for sl in rl.get("scopeLogs", []):
                    for record in sl.get("logRecords", []):
                        attrs = _attrs(record.get("attributes", []))
                        if name is None or attrs.get("event.name") == name:
                            found.append(attrs)
        return found

    def metric_points(self, name: str) -> list[MetricPoint]:
        points = []
        for body in self.posts("/v1/metrics"):
            for rm in body.get("resourceMetrics", []):
                for sm in rm.get("scopeMetrics", []):
                    for metric in sm.get("metrics", []):
                        if metric.get("name") != name:
                            continue
                        data = metric.get("sum") or metric.get("gauge") or {}
                        for dp in data.get("dataPoints", []):
                            value = dp.get("asDouble", dp.get("asInt", 0))
                            points.append(
                                MetricPoint(name, float(value), _attrs(dp.get("attributes", [])))
                            )
        return points

    def __enter__(self) -> OtlpRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- fixtures ----------------------------------------------------------------------------


@dataclass
class Run:
    """One CLI run and its witnesses."""

    stub: AnthropicStub
    recorder: OtlpRecorder
    result: ClaudeResult


@pytest.fixture
def recorder() -> Iterator[OtlpRecorder]:
    with OtlpRecorder() as rec:
        yield rec


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def _run(
    scenario: str,
    recorder: OtlpRecorder,
    tmp_path: Path,
    workdir: Path,
    prompt: str = "please do the thing",
) -> Run:
    with AnthropicStub(scenario) as stub:
        result = run_claude(
            prompt,
            stub_url=stub.url,
            home=tmp_path / "home",
            cwd=workdir,
            otel_env=otel_env("http/json", recorder.port),
        )
    assert not stub.errors, stub.errors[0]
    # No waiting on purpose: the CLI flushes its exporters before it exits, so anything
    # missing here would be lost by a receiver too.
    return Run(stub, recorder, result)


def _assert_usage_matches(result: ClaudeResult, expected: Usage) -> None:
    usage = result["usage"]
    assert usage["input_tokens"] == expected.input_tokens
    assert usage["output_tokens"] == expected.output_tokens
    assert usage["cache_read_input_tokens"] == expected.cache_read_input_tokens
    assert usage["cache_creation_input_tokens"] == expected.cache_creation_input_tokens
    split = usage["cache_creation"]
    assert split["ephemeral_5m_input_tokens"] == expected.cache_creation_5m_input_tokens
    assert split["ephemeral_1h_input_tokens"] == expected.cache_creation_1h_input_tokens


def _assert_api_requests_match(run: Run) -> None:
    """Every served message has exactly one api_request event with its numbers."""
    events = {e["request_id"]: e for e in run.recorder.events("api_request")}
    served = {s.request_id: s for s in run.stub.served}
    assert set(events) == set(served)
    for request_id, event in events.items():
        usage = served[request_id].usage
        assert event["model"] == run.stub.model
        assert event["input_tokens"] == usage.input_tokens
        assert event["output_tokens"] == usage.output_tokens
        assert event["cache_read_tokens"] == usage.cache_read_input_tokens
        assert event["cache_creation_tokens"] == usage.cache_creation_input_tokens
        assert event["cache_creation_5m_tokens"] == usage.cache_creation_5m_input_tokens
        assert event["cache_creation_1h_tokens"] == usage.cache_creation_1h_input_tokens
        assert event["session.id"] == run.result["session_id"]
    total = sum(float(e["cost_usd"]) for e in events.values())
    assert total == pytest.approx(run.result["total_cost_usd"], abs=1e-9)


def _transcript_lines(result: ClaudeResult) -> list[dict[str, Any]]:
    paths = result.transcripts()
    assert [p.stem for p in paths] == [result["session_id"]]
    return [json.loads(line) for line in paths[0].read_text().splitlines() if line.strip()]


def _assert_transcript_matches(run: Run) -> None:
    assistant = [line for line in _transcript_lines(run.result) if line.get("type") == "assistant"]
    served = {s.request_id: s for s in run.stub.served}
    assert {line["requestId"] for line in assistant} == set(served)
    for line in assistant:
        expected = served[line["requestId"]]
        assert line["message"]["id"] == expected.message_id
        assert line["message"]["usage"]["input_tokens"] == expected.usage.input_tokens


def _tool_round_trip(run: Run) -> tuple[ToolUse, dict[str, Any]]:
    """The stub's tool call and the tool_result the CLI sent back for it."""
    first, second = run.stub.message_requests()
    call = run.stub.served[0].reply
    assert isinstance(call, Message)
    tool_use = next(b for b in call.content if isinstance(b, ToolUse))
    assert not tool_results(first.body)
    (result_block,) = tool_results(second.body)
    assert result_block["tool_use_id"] == tool_use.id
    return tool_use, result_block


def _block_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return "".join(c.get("text", "") for c in content)
    return str(content)


# --- the scenarios -----------------------------------------------------------------------


def test_basic_bash_call(recorder: OtlpRecorder, tmp_path: Path, workdir: Path) -> None:
    run = _run("basic", recorder, tmp_path, workdir)
    result = run.result

    assert result.returncode == 0, result.stderr
    assert result["is_error"] is False
    assert result["num_turns"] == 2
    assert result["result"] == FINAL_TEXT
    assert result["total_cost_usd"] > 0
    assert len(run.stub.served) == 2
    _assert_usage_matches(result, run.stub.total_usage())
    assert list(result["modelUsage"]) == [run.stub.model]

    tool_use, block = _tool_round_trip(run)
    assert tool_use.input["command"] == BASH_COMMAND
    assert not block.get("is_error")
    assert "hello" in _block_text(block)

    _assert_api_requests_match(run)
    (tool_event,) = recorder.events("tool_result")
    assert tool_event["tool_name"] == "Bash"
    assert tool_event["tool_use_id"] == tool_use.id
    assert tool_event["success"] == "true"  # a string on the wire, as in the captures
    # The tool call belongs to the response that asked for it.
    assert tool_event["request_id"] == run.stub.served[0].request_id
    assert recorder.events("user_prompt")
    _assert_transcript_matches(run)


def test_bash_failure(recorder: OtlpRecorder, tmp_path: Path, workdir: Path) -> None:
    run = _run("bashfail", recorder, tmp_path, workdir)

    assert run.result["is_error"] is False  # the conversation succeeds; the tool failed
    assert run.result["num_turns"] == 2
    _assert_usage_matches(run.result, run.stub.total_usage())
    tool_use, block = _tool_round_trip(run)
    assert tool_use.input["command"] == BASH_FAIL_COMMAND
    assert block.get("is_error") is True

    _assert_api_requests_match(run)
    (tool_event,) = recorder.events("tool_result")
    assert tool_event["tool_name"] == "Bash"
    assert tool_event["success"] == "false"
    assert tool_event["error_type"] == "ShellError"
    _assert_transcript_matches(run)


def test_write_creates_file(recorder: OtlpRecorder, tmp_path: Path, workdir: Path) -> None:
    run = _run("edit", recorder, tmp_path, workdir)

    assert run.result["is_error"] is False
    assert run.result["num_turns"] == 2
    assert (workdir / EDIT_FILE_NAME).read_text() == EDIT_CONTENT
    tool_use, block = _tool_round_trip(run)
    assert tool_use.name == "Write"
    assert not block.get("is_error")

    _assert_api_requests_match(run)
    (tool_event,) = recorder.events("tool_result")
    assert tool_event["tool_name"] == "Write"
    assert tool_event["success"] == "true"
    decisions = recorder.metric_points("claude_code.code_edit_tool.decision")
    assert [(p.attributes["tool_name"], p.attributes["decision"]) for p in decisions] == [
        ("Write", "accept")
    ]
    lines = recorder.metric_points("claude_code.lines_of_code.count")
    # Four newline-terminated lines count as 5 added (seen in 2.1.332).
    assert {p.attributes["type"]: p.value for p in lines} == {"added": 5, "removed": 0}
    _assert_transcript_matches(run)


def test_text_only(recorder: OtlpRecorder, tmp_path: Path, workdir: Path) -> None:
    run = _run("text", recorder, tmp_path, workdir)

    assert run.result["is_error"] is False
    assert run.result["num_turns"] == 1
    assert run.result["result"] == PLAIN_TEXT
    assert len(run.stub.message_requests()) == 1
    _assert_usage_matches(run.result, run.stub.total_usage())
    _assert_api_requests_match(run)
    assert recorder.events("tool_result") == []
    # Metrics are flushed at exit too, with the same totals.
    tokens = recorder.metric_points("claude_code.token.usage")
    by_type = {p.attributes["type"]: p.value for p in tokens}
    usage = run.stub.total_usage()
    assert by_type == {
        "input": usage.input_tokens,
        "output": usage.output_tokens,
        "cacheRead": usage.cache_read_input_tokens,
        "cacheCreation": usage.cache_creation_input_tokens,
    }
    _assert_transcript_matches(run)


def test_api_error(recorder: OtlpRecorder, tmp_path: Path, workdir: Path) -> None:
    run = _run("api_error", recorder, tmp_path, workdir)
    result = run.result

    assert result.returncode == 1
    assert result["is_error"] is True
    assert result["api_error_status"] == 500
    assert result["total_cost_usd"] == 0
    # CLAUDE_CODE_MAX_RETRIES=1: the first attempt and one retry.
    assert len(run.stub.message_requests()) == 2
    assert recorder.events("api_request") == []
    (error,) = recorder.events("api_error")
    assert error["status_code"] == 500
    assert error["session.id"] == result["session_id"]
    (exhausted,) = recorder.events("api_retries_exhausted")
    assert exhausted["total_attempts"] == 2
    # The transcript holds one synthetic assistant line for the error: no msg_ id, zero
    # usage, and the request id of the last failed attempt.
    (line,) = [x for x in _transcript_lines(result) if x.get("type") == "assistant"]
    assert line["isApiErrorMessage"] is True
    assert line["requestId"] == run.stub.served[-1].request_id
    assert line["message"]["usage"]["output_tokens"] == 0


# --- the stub on its own -----------------------------------------------------------------


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, dict(response.headers), response.read()


def test_stub_answers_non_stream_and_side_endpoints() -> None:
    usages = [Usage(10, 3, 7, 2, 1)]
    with AnthropicStub("basic", usages=usages, model="claude-test-1") as stub:
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        status, headers, raw = _post(f"{stub.url}/v1/messages", body)
        message = json.loads(raw)
        assert status == 200
        assert message["model"] == "claude-test-1"
        assert message["content"] == [{"type": "text", "text": FINAL_TEXT}]  # no tools offered
        assert message["usage"]["cache_creation_input_tokens"] == 3
        assert message["usage"]["output_tokens"] == 3
        assert headers["request-id"] == stub.served[0].request_id

        _, _, raw = _post(f"{stub.url}/v1/messages/count_tokens?beta=true", body)
        assert json.loads(raw)["input_tokens"] > 0
        _, second_headers, _ = _post(f"{stub.url}/v1/messages", body)
        assert second_headers["request-id"] != headers["request-id"]
        assert [r.query for r in stub.requests] == ["", "beta=true", ""]


@dataclass(frozen=True)
class _Broken:
    name: str = "broken"

    def reply(self, body: Mapping[str, Any]) -> Message:
        raise LookupError("no working directory")


def test_stub_reports_scenario_errors() -> None:
    with AnthropicStub(_Broken()) as stub:
        with pytest.raises(urllib.error.HTTPError) as caught:
            _post(f"{stub.url}/v1/messages", {"messages": []})
        assert caught.value.code == 500
        assert "no working directory" in json.loads(caught.value.read())["error"]["message"]
        (error,) = stub.errors
        assert "LookupError" in error

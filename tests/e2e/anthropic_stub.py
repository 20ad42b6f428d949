"""A scripted stand-in for the Anthropic Messages API, for driving the real Claude Code CLI.

The stub listens on 127.0.0.1 (port 0), answers ``POST /v1/messages`` with the SSE stream
the CLI expects, and records every request. What each response says is decided by a
*scenario* from the request body: the first turn asks for a tool call, the turn that
carries the ``tool_result`` gets the final text.

    with AnthropicStub("basic") as stub:
        run_claude("say hello", stub_url=stub.url, ...)
        stub.total_usage()   # what the CLI must report as its own totals
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

DEFAULT_MODEL = "claude-opus-5-5"

# What the scripted tool calls do; tests assert against these.
BASH_COMMAND = "echo hello"
BASH_FAIL_COMMAND = "echo boom >&2; exit 3"
EDIT_FILE_NAME = "notes.txt"
# Claude Code counts this as 5 added lines (see the telemetry reference).
EDIT_CONTENT = "a\nb\nc\nd\n"
FINAL_TEXT = "Done: hello"
PLAIN_TEXT = "Hello from the stub."
API_ERROR_MESSAGE = "Internal server error"

_WORKDIR_MARKER = "Primary working directory:"


# --- usage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """Token usage of one response; cache writes are split by TTL as the real API does."""

    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int = 0
    cache_creation_5m_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.cache_creation_5m_input_tokens + self.cache_creation_1h_input_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cache_creation_5m_input_tokens + other.cache_creation_5m_input_tokens,
            self.cache_creation_1h_input_tokens + other.cache_creation_1h_input_tokens,
        )

    def start_usage(self) -> dict[str, Any]:
        """The ``usage`` object of ``message_start`` (output comes later, in message_delta)."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_creation_5m_input_tokens,
                "ephemeral_1h_input_tokens": self.cache_creation_1h_input_tokens,
            },
            # The real API reports a token or so here and the final count in message_delta.
            "output_tokens": 1,
            "service_tier": "standard",
        }

    def full_usage(self) -> dict[str, Any]:
        """The ``usage`` object of a non-streamed message."""
        return {**self.start_usage(), "output_tokens": self.output_tokens}


ZERO_USAGE = Usage(0, 0)


def default_usage(index: int) -> Usage:
    """Distinct numbers for the index-th message served, so sums over a run are telling."""
    return Usage(
        input_tokens=1200 + 10 * index,
        output_tokens=40 + index,
        cache_read_input_tokens=5000 + 100 * index,
        cache_creation_5m_input_tokens=200 + 2 * index,
        cache_creation_1h_input_tokens=100 + index,
    )


UsagePlan = Sequence[Usage] | Callable[[int], Usage]


def usage_at(plan: UsagePlan, index: int) -> Usage:
    """Usage of the index-th message: from the plan, or ``default_usage`` past its end."""
    if callable(plan):
        return plan(index)
    return plan[index] if index < len(plan) else default_usage(index)


# --- replies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text content block."""

    text: str


@dataclass(frozen=True)
class ToolUse:
    """A tool_use content block; ``id`` is filled in uniquely when empty."""

    name: str
    input: dict[str, Any]
    id: str = ""


@dataclass(frozen=True)
class Message:
    """A successful assistant message."""

    content: tuple[Text | ToolUse, ...]
    stop_reason: str = "end_turn"


@dataclass(frozen=True)
class ApiError:
    """An HTTP error with Anthropic's error envelope."""

    status: int = 500
    type: str = "api_error"
    message: str = API_ERROR_MESSAGE


Reply = Message | ApiError


def text_reply(text: str) -> Message:
    return Message((Text(text),))


def tool_reply(name: str, tool_input: dict[str, Any], preface: str = "") -> Message:
    blocks: tuple[Text | ToolUse, ...] = (ToolUse(name, tool_input),)
    if preface:
        blocks = (Text(preface), *blocks)
    return Message(blocks, stop_reason="tool_use")


# --- reading requests --------------------------------------------------------------------


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def system_text(body: Mapping[str, Any]) -> str:
    """All system prompt text of a Messages request."""
    return _text_of(body.get("system"))


def working_directory(body: Mapping[str, Any]) -> str:
    """The CLI's ``Primary working directory`` (Write outside it is refused silently)."""
    texts = [system_text(body)] + [_text_of(m.get("content")) for m in body.get("messages", [])]
    for text in texts:
        for line in text.splitlines():
            if _WORKDIR_MARKER in line:
                return line.split(_WORKDIR_MARKER, 1)[1].strip()
    raise LookupError("request carries no 'Primary working directory:' line")


def last_user_blocks(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Content blocks of the last user message (a string content becomes one text block)."""
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return [{"type": "text", "text": content}]
            return [b for b in content or [] if isinstance(b, dict)]
    return []


def tool_results(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of the last user message: non-empty means a tool ran."""
    return [b for b in last_user_blocks(body) if b.get("type") == "tool_result"]


# --- scenarios ---------------------------------------------------------------------------


class Scenario(Protocol):
    """Decides the reply to each Messages request from its parsed body."""

    @property
    def name(self) -> str: ...

    def reply(self, body: Mapping[str, Any]) -> Reply: ...


@dataclass(frozen=True)
class ToolThenText:
    """Ask for one tool call (``tool`` may be None: no tool), then answer with text."""

    name: str
    tool: Callable[[Mapping[str, Any]], Message] | None
    final_text: str = FINAL_TEXT

    def reply(self, body: Mapping[str, Any]) -> Reply:
        # Requests without tools are the CLI's own side queries: never answer them with one.
        if self.tool is None or tool_results(body) or not body.get("tools"):
            return text_reply(self.final_text)
        return self.tool(body)


@dataclass(frozen=True)
class AlwaysError:
    """Every request fails with the same HTTP error."""

    name: str
    error: ApiError = ApiError()

    def reply(self, body: Mapping[str, Any]) -> Reply:
        return self.error


def _write_file(body: Mapping[str, Any]) -> Message:
    path = f"{working_directory(body).rstrip('/')}/{EDIT_FILE_NAME}"
    return tool_reply("Write", {"file_path": path, "content": EDIT_CONTENT}, "Writing the file.")


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        ToolThenText(
            "basic",
            lambda body: tool_reply(
                "Bash", {"command": BASH_COMMAND, "description": "Print hello"}, "Running it."
            ),
        ),
        ToolThenText(
            "bashfail",
            lambda body: tool_reply("Bash", {"command": BASH_FAIL_COMMAND, "description": "Fail"}),
            final_text="The command failed.",
        ),
        ToolThenText("edit", _write_file, final_text="Wrote the file."),
        ToolThenText("text", None, final_text=PLAIN_TEXT),
        AlwaysError("api_error"),
    )
}


# --- the server --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the stub saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON, or None when empty


@dataclass(frozen=True)
class Served:
    """One reply the stub sent to a Messages request."""

    request_id: str
    reply: Reply
    message_id: str = ""
    model: str = ""
    usage: Usage = ZERO_USAGE
    stream: bool = True


@dataclass
class _State:
    scenario: Scenario
    model: str
    usages: UsagePlan
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[RecordedRequest] = field(default_factory=list)
    served: list[Served] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _new_id(prefix: str) -> str:
    # Globally unique, not per-stub counters: several runs may land in one store.
    return f"{prefix}_stub{uuid.uuid4().hex}"


def _event(kind: str, **fields: Any) -> str:
    """One SSE event; its ``type`` repeats the event name, as the real API does."""
    data = json.dumps({"type": kind, **fields}, separators=(",", ":"))
    return f"event: {kind}\ndata: {data}\n\n"


def _with_tool_ids(message: Message) -> Message:
    blocks = tuple(
        ToolUse(b.name, b.input, _new_id("toolu")) if isinstance(b, ToolUse) and not b.id else b
        for b in message.content
    )
    return Message(blocks, message.stop_reason)


def sse_stream(message_id: str, model: str, message: Message, usage: Usage) -> str:
    """The full SSE body of a streamed message, in the order the real API sends it."""
    head = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage.start_usage(),
    }
    parts = [_event("message_start", message=head)]
    for index, block in enumerate(message.content):
        if isinstance(block, Text):
            start: dict[str, Any] = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block.text}
        else:
            start = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block.input)}
        parts += [
            _event("content_block_start", index=index, content_block=start),
            _event("content_block_delta", index=index, delta=delta),
            _event("content_block_stop", index=index),
        ]
    parts += [
        _event(
            "message_delta",
            delta={"stop_reason": message.stop_reason, "stop_sequence": None},
            usage={"output_tokens": usage.output_tokens},
        ),
        _event("message_stop"),
    ]
    return "".join(parts)


def message_json(message_id: str, model: str, message: Message, usage: Usage) -> dict[str, Any]:
    """A non-streamed Messages response."""
    content = [
        {"type": "text", "text": b.text}
        if isinstance(b, Text)
        else {"type": "tool_use", "id": b.id, "name": b.name, "input": b.input}
        for b in message.content
    ]
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": message.stop_reason,
        "stop_sequence": None,
        "usage": usage.full_usage(),
    }


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with a Content-Length on every answer lets the CLI keep its connection alive.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass  # keep pytest output clean; the recorded requests say what happened

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest(self.command, parts.path, parts.query, headers, body)
        with self.server.state.lock:
            self.server.state.requests.append(request)
        return request

    def _send(self, status: int, payload: str, content_type: str, request_id: str) -> None:
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        # Claude Code reports this header as the request_id of its events and transcript.
        self.send_header("request-id", request_id)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: Any, request_id: str) -> None:
        self._send(status, json.dumps(payload), "application/json", request_id)

    def do_GET(self) -> None:
        request = self._record()
        request_id = _new_id("req")
        if request.path == "/v1/models":
            model = self.server.state.model
            listing = {
                "data": [{"type": "model", "id": model, "display_name": model}],
                "has_more": False,
                "first_id": model,
                "last_id": model,
            }
            self._json(200, listing, request_id)
        else:
            self._json(200, {}, request_id)

    def do_HEAD(self) -> None:
        self._record()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        request = self._record()
        request_id = _new_id("req")
        body = request.body if isinstance(request.body, dict) else {}
        if request.path == "/v1/messages/count_tokens":
            # A rough count; nothing in the tests depends on it.
            self._json(200, {"input_tokens": max(1, len(json.dumps(body)) // 4)}, request_id)
        elif request.path == "/v1/messages":
            self._messages(body, request_id)
        else:
            self._json(200, {}, request_id)

    def _messages(self, body: Mapping[str, Any], request_id: str) -> None:
        state = self.server.state
        stream = bool(body.get("stream"))
        try:
            reply = state.scenario.reply(body)
        except Exception as exc:  # a scenario bug must show, not hang the CLI
            with state.lock:
                state.errors.append(traceback.format_exc())
            reply = ApiError(500, "api_error", f"stub scenario failed: {exc!r}")
        if isinstance(reply, ApiError):
            with state.lock:
                state.served.append(Served(request_id, reply, stream=stream))
            error = {
                "type": "error",
                "error": {"type": reply.type, "message": reply.message},
                "request_id": request_id,
            }
            self._json(reply.status, error, request_id)
            return
        message = _with_tool_ids(reply)
        message_id = _new_id("msg")
        with state.lock:
            index = sum(1 for s in state.served if isinstance(s.reply, Message))
            usage = usage_at(state.usages, index)
            state.served.append(Served(request_id, message, message_id, state.model, usage, stream))
        if stream:
            events = sse_stream(message_id, state.model, message, usage)
            self._send(200, events, "text/event-stream", request_id)
        else:
            self._json(200, message_json(message_id, state.model, message, usage), request_id)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class AnthropicStub:
    """The stub server; a context manager exposing ``url``, ``requests`` and ``served``.

    ``scenario`` is a name from ``SCENARIOS`` or any ``Scenario``. ``usages`` gives the usage
    of the n-th message served (a sequence, falling back to ``default_usage`` past its end,
    or a function of n); error replies carry no usage.
    """

    def __init__(
        self,
        scenario: str | Scenario = "basic",
        *,
        model: str = DEFAULT_MODEL,
        usages: UsagePlan = default_usage,
    ) -> None:
        chosen = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State(chosen, model, usages)
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"anthropic-stub-{chosen.name}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def scenario(self) -> Scenario:
        return self._server.state.scenario

    @property
    def model(self) -> str:
        return self._server.state.model

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order (a copy)."""
        with self._server.state.lock:
            return list(self._server.state.requests)

    @property
    def served(self) -> list[Served]:
        """Every reply to ``POST /v1/messages``, in order (a copy)."""
        with self._server.state.lock:
            return list(self._server.state.served)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of scenarios that raised (the CLI saw a 500 for each)."""
        with self._server.state.lock:
            return list(self._server.state.errors)

    def message_requests(self) -> list[RecordedRequest]:
        """The ``POST /v1/messages`` requests (any query string, e.g. ``?beta=true``)."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    def total_usage(self) -> Usage:
        """Sum of the usage of every message served: what the CLI should report."""
        total = ZERO_USAGE
        for served in self.served:
            total = total + served.usage
        return total

    def start(self) -> AnthropicStub:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> AnthropicStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

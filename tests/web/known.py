"""Telemetry with known totals, as the OTLP/JSON requests Claude Code sends, placed
relative to `now` so the dashboard's relative ranges (now-1h, now-6h, now-7d) each hold a
known part of it:

    now-2d    s3  alice  haiku   1 request ($1.00), 1 tool call, 2 commits
    now-3h    s2  bob    sonnet  3 requests ($0.10 each), 2 Edit calls
    now-45m   s4  bob    sonnet  metrics only: $0.50, 1,500 tokens (the metric fallback)
    now-30m   s1  alice  opus    2 requests ($0.01 + $0.02), 1 API error, Bash ok, Read
                                 failed, a prompt holding <script> and <img onerror>

EXPECTED gives, per view, the numbers each panel must show.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

XSS_PROMPT = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
XSS_PARAMS = '{"full_command":"echo <img src=x onerror=window.__xss=3>"}'
ALICE, BOB = "alice@example.com", "bob@example.com"
S1, S2, S3, S4 = "s1-alice-opus", "s2-bob-sonnet", "s3-alice-haiku", "s4-bob-metrics-only"
OPUS, SONNET, HAIKU = "claude-opus-5-5", "claude-sonnet-4-6", "claude-haiku-4-5"

USERS = {ALICE: ("a11ce", "vscode", "2.1.332"), BOB: ("b0b", "iTerm.app", "2.1.331")}


def now() -> datetime:
    """The current time for `write`, moved back by at most 11 s so that s1's events (30
    minutes before it, over 10 s) fall in one 5-minute bucket, the 6-hour view's step:
    otherwise its error could land in a bucket of its own (an error rate of 1 there)."""
    t = datetime.now(UTC).replace(tzinfo=None)
    offset = (t - timedelta(minutes=30)).replace(tzinfo=UTC).timestamp() % 300
    return t - timedelta(seconds=max(0.0, offset - 289))


def _ns(t: datetime) -> str:
    return str(int(t.replace(tzinfo=UTC).timestamp() * 1000) * 1_000_000)


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": v}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def _attrs(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in d.items() if v is not None]


def _standard(user: str, session: str) -> dict[str, Any]:
    uid, terminal, _ = USERS[user]
    return {"user.id": uid, "session.id": session, "user.email": user,
            "terminal.type": terminal, "anthropic.provider": "firstParty"}


def _resource(user: str) -> dict[str, Any]:
    return {"attributes": _attrs({"service.name": "claude-code",
                                  "service.version": USERS[user][2], "os.type": "linux"})}


def event(t: datetime, user: str, session: str, seq: int, name: str,
          **attrs: Any) -> dict[str, Any]:
    a = {**_standard(user, session), "event.name": name,
         "event.timestamp": t.isoformat(timespec="milliseconds") + "Z", "event.sequence": seq,
         "prompt.id": f"{session}-p1", **attrs}
    return {"timeUnixNano": _ns(t), "observedTimeUnixNano": _ns(t),
            "body": {"stringValue": f"claude_code.{name}"}, "attributes": _attrs(a)}


def logs(user: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceLogs": [{"resource": _resource(user), "scopeLogs": [
        {"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": records}]}]}


def metrics(user: str, session: str, t: datetime,
            points: list[tuple[str, str, float, dict[str, Any]]]) -> dict[str, Any]:
    """Delta sums exported at `t` for the minute before it."""
    out = []
    for name, unit, value, attrs in points:
        out.append({"name": name, "unit": unit, "sum": {
            "aggregationTemporality": 1, "isMonotonic": True, "dataPoints": [{
                "attributes": _attrs({**_standard(user, session), **attrs}),
                "startTimeUnixNano": _ns(t - timedelta(minutes=1)), "timeUnixNano": _ns(t),
                "asDouble": value}]}})
    return {"resourceMetrics": [{"resource": _resource(user), "scopeMetrics": [
        {"scope": {"name": "com.anthropic.claude_code"}, "metrics": out}]}]}


def _request(t: datetime, user: str, session: str, seq: int, model: str, i: int, o: int,
             cr: int, cc: int, cost: float, dur: int, ttft: int) -> dict[str, Any]:
    return event(t, user, session, seq, "api_request", model=model, input_tokens=i,
                 output_tokens=o, cache_read_tokens=cr, cache_creation_tokens=cc,
                 cost_usd=cost, duration_ms=dur, ttft_ms=ttft,
                 request_id=f"req_{session}_{seq}")


def _tool(t: datetime, user: str, session: str, seq: int, tool: str, ok: bool, dur: int,
          **extra: Any) -> dict[str, Any]:
    # The real CLI sends these two as strings.
    return event(t, user, session, seq, "tool_result", tool_name=tool,
                 tool_use_id=f"toolu_{session}_{seq}", success="true" if ok else "false",
                 duration_ms=str(dur), **extra)


def _tokens(model: str, i: float, o: float, cr: float, cc: float) -> list[tuple[str, str, float,
                                                                               dict[str, Any]]]:
    out = [("claude_code.token.usage", "tokens", v, {"model": model, "type": k})
           for k, v in (("input", i), ("output", o), ("cacheRead", cr), ("cacheCreation", cc))
           if v]
    return out


def requests(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """(OTLP/HTTP path, JSON body) pairs, oldest first."""
    out: list[tuple[str, dict[str, Any]]] = []
    # s3: alice, two days ago.
    t = now - timedelta(days=2)
    out.append(("/v1/logs", logs(ALICE, [
        _request(t, ALICE, S3, 0, HAIKU, 10, 5, 0, 0, 1.0, 500, 100),
        _tool(t + timedelta(seconds=1), ALICE, S3, 1, "Grep", True, 30)])))
    out.append(("/v1/metrics", metrics(ALICE, S3, t + timedelta(minutes=1), [
        *_tokens(HAIKU, 10, 5, 0, 0),
        ("claude_code.cost.usage", "USD", 1.0, {"model": HAIKU}),
        ("claude_code.commit.count", "", 2, {})])))
    # s2: bob, three hours ago.
    t = now - timedelta(hours=3)
    out.append(("/v1/logs", logs(BOB, [
        event(t, BOB, S2, 0, "user_prompt", prompt="refactor the store", prompt_length="18"),
        _request(t + timedelta(seconds=2), BOB, S2, 1, SONNET, 1000, 500, 10000, 1000, 0.1,
                 2000, 300),
        _tool(t + timedelta(seconds=3), BOB, S2, 2, "Edit", True, 20),
        _request(t + timedelta(seconds=5), BOB, S2, 3, SONNET, 1000, 500, 10000, 1000, 0.1,
                 2000, 300),
        _tool(t + timedelta(seconds=6), BOB, S2, 4, "Edit", True, 20),
        _request(t + timedelta(seconds=8), BOB, S2, 5, SONNET, 1000, 500, 10000, 1000, 0.1,
                 2000, 300)])))
    out.append(("/v1/metrics", metrics(BOB, S2, t + timedelta(minutes=1), [
        *_tokens(SONNET, 3000, 1500, 30000, 3000),
        ("claude_code.cost.usage", "USD", 0.3, {"model": SONNET}),
        ("claude_code.lines_of_code.count", "", 40, {"type": "added", "model": SONNET}),
        ("claude_code.lines_of_code.count", "", 5, {"type": "removed", "model": SONNET}),
        ("claude_code.code_edit_tool.decision", "", 2,
         {"tool_name": "Edit", "decision": "accept", "source": "config",
          "language": "TypeScript"}),
        ("claude_code.active_time.total", "s", 12, {"type": "cli"})])))
    # s4: bob, metrics only (no events exported), 45 minutes ago.
    t = now - timedelta(minutes=45)
    out.append(("/v1/metrics", metrics(BOB, S4, t, [
        *_tokens(SONNET, 1000, 500, 0, 0),
        ("claude_code.cost.usage", "USD", 0.5, {"model": SONNET}),
        ("claude_code.session.count", "", 1, {"start_type": "fresh"}),
        ("claude_code.active_time.total", "s", 20, {"type": "cli"})])))
    # s1: alice, thirty minutes ago, with markup in a prompt and in tool parameters.
    t = now - timedelta(minutes=30)
    out.append(("/v1/logs", logs(ALICE, [
        event(t, ALICE, S1, 0, "user_prompt", prompt=XSS_PROMPT,
              prompt_length=str(len(XSS_PROMPT))),
        _request(t + timedelta(seconds=2), ALICE, S1, 1, OPUS, 100, 50, 1000, 200, 0.01, 1000,
                 200),
        event(t + timedelta(seconds=2.1), ALICE, S1, 2, "tool_decision", tool_name="Bash",
              decision="accept", source="config", tool_parameters=XSS_PARAMS),
        _tool(t + timedelta(seconds=3), ALICE, S1, 3, "Bash", True, 500,
              tool_parameters=XSS_PARAMS),
        _request(t + timedelta(seconds=6), ALICE, S1, 4, OPUS, 200, 100, 2000, 0, 0.02, 3000,
                 400),
        _tool(t + timedelta(seconds=7), ALICE, S1, 5, "Read", False, 10,
              error_type="FileNotFoundError"),
        event(t + timedelta(seconds=10), ALICE, S1, 6, "api_error", model=OPUS,
              error="Overloaded", status_code=529, duration_ms=2000, attempt=11)])))
    out.append(("/v1/metrics", metrics(ALICE, S1, t + timedelta(minutes=1), [
        *_tokens(OPUS, 300, 150, 3000, 200),
        ("claude_code.cost.usage", "USD", 0.03, {"model": OPUS}),
        ("claude_code.lines_of_code.count", "", 10, {"type": "added", "model": OPUS}),
        ("claude_code.lines_of_code.count", "", 2, {"type": "removed", "model": OPUS}),
        ("claude_code.commit.count", "", 1, {}),
        ("claude_code.pull_request.count", "", 1, {}),
        ("claude_code.code_edit_tool.decision", "", 2,
         {"tool_name": "Edit", "decision": "accept", "source": "config", "language": "Python"}),
        ("claude_code.code_edit_tool.decision", "", 1,
         {"tool_name": "Edit", "decision": "reject", "source": "user_reject",
          "language": "Python"}),
        ("claude_code.active_time.total", "s", 30, {"type": "user"}),
        ("claude_code.active_time.total", "s", 60, {"type": "cli"}),
        ("claude_code.session.count", "", 1, {"start_type": "fresh"})])))
    return out


def write(data_dir: Path, now: datetime) -> None:
    """Fill a store the way `ccotel serve` would (decoder + writer), no server running."""
    from ccotel.otlp.decode import decode_request
    from ccotel.store import schema
    from ccotel.store.writer import Writer

    con = schema.connect(data_dir)
    try:
        w = Writer(con)
        for path, body in requests(now):
            w.write_now(decode_request(path.rsplit("/", 1)[-1],  # type: ignore[arg-type]
                                       json.dumps(body).encode(), "json"))
    finally:
        con.close()


# What each panel shows, per view. "1h" holds s1 + s4, "6h" adds s2, "7d" adds s3.
EXPECTED: dict[str, dict[str, Any]] = {
    "1h": {
        "total_requests": 2, "total_errors": 1, "total_tool_calls": 2,
        "avg_response_time": 2000, "total_cost": 0.53, "total_tokens_last_hour": 5150,
        "sessions": 2, "active_users": 2, "cache_hit_ratio": round(3000 / 4500, 6),
        "time_to_first_token": 300, "commits": 1, "pull_requests": 1,
        "tokens_by_type": {"input": 1300, "output": 650, "cacheRead": 3000,
                           "cacheCreation": 200},
        "tool_usage_distribution": {"Bash": 1, "Read": 1},
        "cost_by_model": {SONNET: 0.5, OPUS: 0.03},
        "cost_by_user": {BOB: 0.5, ALICE: 0.03},
        "lines_of_code": {"added": 10, "removed": 2},
        "active_time": {"user": 30, "cli": 80},
    },
    "6h": {
        "total_requests": 5, "total_errors": 1, "total_tool_calls": 4,
        "avg_response_time": 2000, "total_cost": 0.83, "total_tokens_last_hour": 5150,
        "sessions": 3, "active_users": 2, "commits": 1, "pull_requests": 1,
        "tokens_by_type": {"input": 4300, "output": 2150, "cacheRead": 33000,
                           "cacheCreation": 3200},
        "tool_usage_distribution": {"Edit": 2, "Bash": 1, "Read": 1},
        "cost_by_model": {SONNET: 0.8, OPUS: 0.03},
        "lines_of_code": {"added": 50, "removed": 7},
    },
    "7d": {
        "total_requests": 6, "total_errors": 1, "total_tool_calls": 5, "total_cost": 1.83,
        "sessions": 4, "active_users": 2, "commits": 3, "total_tokens_last_hour": 5150,
        "cost_by_model": {HAIKU: 1.0, SONNET: 0.8, OPUS: 0.03},
    },
    # Filters, over 7 days.
    "7d alice": {
        "total_requests": 3, "total_errors": 1, "total_tool_calls": 3, "total_cost": 1.03,
        "sessions": 2, "active_users": 1, "commits": 3,
    },
    "6h sonnet": {
        # s2's events, and s4's metrics (no events): the tool calls of sessions on sonnet.
        "total_requests": 3, "total_errors": 0, "total_tool_calls": 2, "total_cost": 0.8,
    },
}
VIEWS = {"1h": {"from": "now-1h"}, "6h": {"from": "now-6h"}, "7d": {"from": "now-7d"},
         "7d alice": {"from": "now-7d", "var-user": ALICE},
         "6h sonnet": {"from": "now-6h", "var-model": SONNET}}

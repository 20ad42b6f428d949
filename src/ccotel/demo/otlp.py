"""Demo rows back onto the wire: the OTLP export requests Claude Code would have sent.

Attributes go out with Claude Code's own wire quirks (tool_result's `success` as the
string "true", its `duration_ms` as a string), so the demo exercises the decoder the way
the real CLI does. Users with the traces beta on also get the span tree of each prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

from ccotel.claude import catalogue
from ccotel.demo import population as popn
from ccotel.demo.generate import Chunk
from ccotel.store.attribution import git_record

BATCH = 400   # log records per export request (Claude Code sends every 5 s; this is coarser)

# Column -> attribute key, the inverse of the decoder's hot columns.
_EVENT_KEYS = {col: key for key, col in catalogue.EVENT_COLUMNS.items()}
_POINT_KEYS = {col: key for key, col in catalogue.POINT_COLUMNS.items() if key != "tool"}
_STANDARD = ("user_id", "session_id", "organization_id", "user_email", "account_uuid",
             "terminal_type")
# Columns that are not attributes on the wire.
_NOT_ATTRS = {"event_key", "ts", "time_unix_nano", "observed_unix_nano", "body", "resource",
              "attributes", "source", "scope_name", "scope_version", "service_name",
              "service_version", "trace_id", "span_id", "severity_number", "severity_text",
              "project", "git_branch", "event_name"}
# tool_result and user_prompt numbers arrive as strings from the real CLI.
_AS_STRING = {"tool_result": ("success", "duration_ms", "tool_input_size_bytes",
                              "tool_result_size_bytes"),
              "user_prompt": ("prompt_length",)}


def value(v: Any) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(int_value=int(v)) if v.is_integer() else AnyValue(double_value=v)
    if isinstance(v, (list, tuple)):
        out = AnyValue()
        out.array_value.values.extend(value(x) for x in v)
        return out
    return AnyValue(string_value=str(v))


def kv(attrs: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=value(v)) for k, v in attrs.items() if v is not None]


def _ident(*parts: str, size: int) -> bytes:
    return hashlib.blake2b("/".join(parts).encode(), digest_size=size).digest()


def event_attributes(row: dict[str, Any]) -> dict[str, Any]:
    """The attributes of one log record, in the order Claude Code sends them."""
    extra = json.loads(row["attributes"] or "{}")
    attrs: dict[str, Any] = {}
    for col in _STANDARD:
        attrs[_EVENT_KEYS[col]] = row.get(col)
    attrs["anthropic.provider"] = extra.pop("anthropic.provider", None)
    attrs["anthropic.custom_base_url"] = extra.pop("anthropic.custom_base_url", None)
    attrs["event.name"] = row["event_name"]
    attrs["event.timestamp"] = extra.pop("event.timestamp", None)
    for col, v in row.items():
        if col in _NOT_ATTRS or col in _STANDARD or v is None:
            continue
        attrs[_EVENT_KEYS.get(col, col)] = v
    attrs.update(extra)
    for key in _AS_STRING.get(row["event_name"], ()):
        v = attrs.get(key)
        if isinstance(v, bool):
            attrs[key] = "true" if v else "false"
        elif isinstance(v, (int, float)):
            attrs[key] = str(int(v))
    return attrs


def _resource(row: dict[str, Any]) -> list[KeyValue]:
    return kv(json.loads(row["resource"]))


def log_requests(rows: list[dict[str, Any]], traced: set[str]) -> Iterator[Message]:
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_session[r["session_id"]].append(r)
    for sid, evs in by_session.items():
        for i in range(0, len(evs), BATCH):
            req = ExportLogsServiceRequest()
            rl = req.resource_logs.add()
            rl.resource.attributes.extend(_resource(evs[0]))
            sl = rl.scope_logs.add()
            sl.scope.name, sl.scope.version = popn.LOG_SCOPE, popn.SCOPE_VERSION
            for r in evs[i:i + BATCH]:
                rec = sl.log_records.add()
                rec.time_unix_nano = r["time_unix_nano"]
                rec.observed_time_unix_nano = r["observed_unix_nano"] or r["time_unix_nano"]
                rec.body.string_value = r["body"]
                rec.attributes.extend(kv(event_attributes(r)))
                if sid in traced and r.get("prompt_id"):
                    rec.trace_id = _ident(r["prompt_id"], size=16)
                    rec.span_id = _ident(r["prompt_id"], "interaction", size=8)
            yield req


def metric_requests(rows: list[dict[str, Any]]) -> Iterator[Message]:
    """One export per session and export time, like the CLI's 60-second reader."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["session_id"], r["time_unix_nano"])].append(r)
    for (_sid, _t), pts in groups.items():
        req = ExportMetricsServiceRequest()
        rm = req.resource_metrics.add()
        rm.resource.attributes.extend(_resource(pts[0]))
        sm = rm.scope_metrics.add()
        sm.scope.name, sm.scope.version = popn.METRIC_SCOPE, popn.SCOPE_VERSION
        by_metric: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in pts:
            by_metric[p["metric_name"]].append(p)
        for name, ps in by_metric.items():
            m = sm.metrics.add()
            m.name, m.description, m.unit = name, ps[0]["description"] or "", ps[0]["unit"] or ""
            m.sum.aggregation_temporality = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
            m.sum.is_monotonic = True
            for p in ps:
                dp = m.sum.data_points.add()
                dp.start_time_unix_nano = p["start_unix_nano"]
                dp.time_unix_nano = p["time_unix_nano"]
                dp.as_double = p["value"]
                attrs = {_POINT_KEYS[c]: p.get(c) for c in _STANDARD}
                attrs.update(json.loads(p["attributes"]))
                for col in ("model", "query_source", "effort", "type", "tool_name", "decision",
                            "decision_source", "language", "start_type"):
                    attrs[_POINT_KEYS[col]] = p.get(col)
                dp.attributes.extend(kv(attrs))
        yield req


def _span(ss: Any, trace: bytes, sid: bytes, parent: bytes | None, name: str, start: int,
          end: int, attrs: dict[str, Any]) -> None:
    sp = ss.spans.add()
    sp.trace_id, sp.span_id, sp.name, sp.kind = trace, sid, name, 1
    if parent:
        sp.parent_span_id = parent
    sp.start_time_unix_nano, sp.end_time_unix_nano = start, max(end, start)
    sp.attributes.extend(kv(attrs))


def trace_requests(rows: list[dict[str, Any]], traced: set[str]) -> Iterator[Message]:
    """The beta span tree: interaction -> llm_request, tool -> blocked_on_user, execution."""
    prompts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["session_id"] in traced and r.get("prompt_id"):
            prompts[r["prompt_id"]].append(r)
    for pid, evs in prompts.items():
        req = ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(_resource(evs[0]))
        ss = rs.scope_spans.add()
        ss.scope.name, ss.scope.version = popn.TRACE_SCOPE, "1.0.0"
        trace, root = _ident(pid, size=16), _ident(pid, "interaction", size=8)
        base = {"user.id": evs[0]["user_id"], "session.id": evs[0]["session_id"],
                "terminal.type": evs[0]["terminal_type"]}
        start, end = evs[0]["time_unix_nano"], evs[-1]["time_unix_nano"]
        _span(ss, trace, root, None, "claude_code.interaction", start, end,
              {**base, "span.type": "interaction",
               "interaction.duration_ms": (end - start) // 10**6})
        decided: dict[str, int] = {}
        for r in evs:
            t, name = r["time_unix_nano"], r["event_name"]
            if name in ("api_request", "api_error"):
                dur = int((r["duration_ms"] or 0) * 1e6)
                _span(ss, trace, _ident(pid, "llm", str(r["event_sequence"]), size=8), root,
                      "claude_code.llm_request", t - dur, t,
                      {**base, "span.type": "llm_request", "model": r["model"],
                       "request_id": r["request_id"], "duration_ms": r["duration_ms"],
                       "input_tokens": r["input_tokens"], "output_tokens": r["output_tokens"],
                       "cache_read_tokens": r["cache_read_tokens"], "ttft_ms": r["ttft_ms"],
                       "success": name == "api_request", "status_code": r["status_code"]})
            elif name == "tool_decision":
                decided[r["tool_use_id"]] = t
                if r["decision"] == "reject":
                    _tool_span(ss, trace, pid, root, base, r, t - 3 * 10**9, t, None)
            elif name == "tool_result":
                _tool_span(ss, trace, pid, root, base, r, decided.get(r["tool_use_id"], t), t,
                           int((r["duration_ms"] or 0) * 1e6))
        yield req


def _tool_span(ss: Any, trace: bytes, pid: str, root: bytes, base: dict[str, Any],
               r: dict[str, Any], decided: int, done: int, run_ns: int | None) -> None:
    tool = _ident(pid, "tool", r["tool_use_id"], size=8)
    start = decided - 5_000_000
    _span(ss, trace, tool, root, "claude_code.tool", start, done,
          {**base, "span.type": "tool", "tool_name": r["tool_name"],
           "tool_use_id": r["tool_use_id"]})
    _span(ss, trace, _ident(pid, "blocked", r["tool_use_id"], size=8), tool,
          "claude_code.tool.blocked_on_user", start, decided,
          {**base, "span.type": "tool.blocked_on_user"})
    if run_ns is not None:
        _span(ss, trace, _ident(pid, "exec", r["tool_use_id"], size=8), tool,
              "claude_code.tool.execution", done - run_ns, done,
              {**base, "span.type": "tool.execution", "success": bool(r["success"])})


def git_requests(chunk: Chunk) -> Iterator[Message]:
    """The record `ccotel hook session-start` makes at the start of each session of the
    chunk (`store.attribution.git_record`, stamped with the session's start), as protobuf."""
    for sid, found, t_ns in chunk.git_facts:
        yield json_format.Parse(git_record(sid, found, now_ns=t_ns), ExportLogsServiceRequest())


def requests(chunk: Chunk) -> Iterator[tuple[str, Message]]:
    """Every export request of one day: the sessions' git records, logs, metrics, then
    traces."""
    for msg in git_requests(chunk):
        yield "logs", msg
    events = chunk.events.to_pylist()
    traced_users = {u.user_id for u in chunk.users if u.traces}
    traced = {r["session_id"] for r in events if r["user_id"] in traced_users}
    for msg in log_requests(events, traced):
        yield "logs", msg
    for msg in metric_requests(chunk.points.to_pylist()):
        yield "metrics", msg
    for msg in trace_requests(events, traced):
        yield "traces", msg

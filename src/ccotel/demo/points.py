"""Metric points of the synthetic team: what Claude Code's meter exports every 60 seconds
(delta temporality), computed from the same events, so the two always agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ccotel.demo import population as popn
from ccotel.demo.vector import join, label

if TYPE_CHECKING:
    from ccotel.demo.generate import _Sessions

EXPORT_NS = 60 * 1_000_000_000
DECISIONS = ("accept", "reject")
SOURCES = (*popn.DECISION_SOURCES, "user_reject")
API_REQUEST, TOOL_DECISION = 1, 2

DESCRIPTIONS = {
    "claude_code.session.count": ("Count of CLI sessions started", ""),
    "claude_code.token.usage": ("Number of tokens used", "tokens"),
    "claude_code.cost.usage": ("Cost of the Claude Code session", "USD"),
    "claude_code.lines_of_code.count": (
        "Count of lines of code modified, with the 'type' attribute indicating whether lines "
        "were added or removed and the 'model' attribute indicating which model made the "
        "change", ""),
    "claude_code.commit.count": ("Number of git commits created", ""),
    "claude_code.pull_request.count": ("Number of pull requests created", ""),
    "claude_code.code_edit_tool.decision": (
        "Count of code editing tool permission decisions (accept/reject) for Edit, Write, "
        "and NotebookEdit tools", ""),
    "claude_code.active_time.total": ("Total active time in seconds", "s"),
}
# Point attributes without a column, as decode.py stores them (sorted keys).
POINT_ATTRIBUTES = '{"anthropic.custom_base_url":false,"anthropic.provider":"firstParty"}'


def metric_points(ev: pa.Table, team: list[popn.User], s: _Sessions, end_ns: int) -> pa.Table:
    start = pa.array(s.start_ns, pa.int64())
    bucket = pc.divide(pc.subtract(ev["t_ns"], pc.take(start, ev["session"])), EXPORT_NS)
    ev = ev.append_column("bucket", bucket)
    edit_tools = pa.array([i for i, t in enumerate(popn.TOOLS) if t.edits], pa.int64())
    parts: list[pa.Table] = []
    key = ["session", "bucket"]

    req = ev.filter(pc.equal(ev["role"], API_REQUEST)).group_by(
        [*key, "model", "query_source", "effort"]).aggregate(
        [(c, "sum") for c in ("input", "output", "cacheRead", "cacheCreation", "cost")])
    model = label(popn.MODELS, req["model"])
    common = {"model": model, "query_source": label(popn.QUERY_SOURCES, req["query_source"]),
              "effort": label(popn.EFFORTS, req["effort"])}
    for kind in ("input", "output", "cacheRead", "cacheCreation"):
        parts.append(_rows(req, "claude_code.token.usage", req[f"{kind}_sum"],
                           {**common, "type": kind}))
    parts.append(_rows(req, "claude_code.cost.usage", req["cost_sum"], common))

    edits = ev.filter(pc.and_(ev["ok_result"], pc.is_in(ev["tool"], edit_tools)))
    loc = edits.group_by([*key, "model"]).aggregate([("added", "sum"), ("removed", "sum")])
    for kind in ("added", "removed"):
        parts.append(_rows(loc, "claude_code.lines_of_code.count", loc[f"{kind}_sum"],
                           {"type": kind, "model": label(popn.MODELS, loc["model"])}))

    dec = ev.filter(pc.and_(pc.equal(ev["role"], TOOL_DECISION), pc.is_in(ev["tool"], edit_tools)))
    dec = dec.group_by([*key, "tool", "decision", "source", "language"]).aggregate(
        [("t_ns", "count")])
    parts.append(_rows(dec, "claude_code.code_edit_tool.decision", dec["t_ns_count"], {
        "tool_name": label([t.name for t in popn.TOOLS], dec["tool"]),
        "decision": label(DECISIONS, dec["decision"]),
        "decision_source": label(SOURCES, dec["source"]),
        "language": label(popn.LANGUAGES, dec["language"])}))

    for flag, metric in (("commit", "claude_code.commit.count"),
                         ("pr", "claude_code.pull_request.count")):
        done = ev.filter(pc.and_(ev["ok_result"], ev[flag])).group_by(key).aggregate(
            [("t_ns", "count")])
        parts.append(_rows(done, metric, done["t_ns_count"], {}))

    busy = ev.group_by(key).aggregate([("busy_s", "sum"), ("typing_s", "sum")])
    parts.append(_rows(busy, "claude_code.active_time.total", pc.round(busy["busy_s_sum"], 3),
                       {"type": "cli"}))
    typing = busy.filter(pc.greater(busy["typing_s_sum"], 0))
    parts.append(_rows(typing, "claude_code.active_time.total",
                       pc.round(typing["typing_s_sum"], 3), {"type": "user"}))

    seen = pc.unique(ev["session"])
    first = pa.table({"session": seen, "bucket": pa.repeat(0, len(seen))})
    parts.append(_rows(first, "claude_code.session.count", pa.repeat(1.0, len(seen)), {
        "start_type": label(popn.START_TYPES, pc.take(pa.array(s.start_type, pa.int64()), seen))}))

    table = pa.concat_tables([_finish(p, team, s) for p in parts if len(p)],
                             promote_options="default")
    table = table.filter(pc.less_equal(table["time_unix_nano"], end_ns))
    return table.sort_by("time_unix_nano")


def _rows(t: pa.Table, metric: str, value: Any, attrs: dict[str, Any]) -> pa.Table:
    """Points of one metric: the group keys, the value and its own attributes."""
    n = len(t)
    cols: dict[str, Any] = {"session": t["session"], "bucket": t["bucket"],
                            "metric_name": pa.repeat(pa.scalar(metric), n),
                            "value": pc.cast(value, pa.float64())}
    for name, v in attrs.items():
        cols[name] = pa.repeat(pa.scalar(v), n) if isinstance(v, str) else v
    table = pa.table(cols)
    return table.filter(pc.greater(table["value"], 0))


def _finish(t: pa.Table, team: list[popn.User], s: _Sessions) -> pa.Table:
    """Add the columns every point carries: time, series, user and resource."""
    n = len(t)
    start = pc.take(pa.array(s.start_ns, pa.int64()), t["session"])
    user = pc.take(pa.array(s.user, pa.int64()), t["session"])
    metric = t["metric_name"][0].as_py()
    description, unit = DESCRIPTIONS[metric]
    t_start = pc.add(start, pc.multiply(t["bucket"], EXPORT_NS))
    if metric == "claude_code.session.count":
        t_end = pc.add(start, 200_000_000)
    else:
        t_end = pc.add(t_start, EXPORT_NS)
    session_id = pc.take(pa.array(s.ids, pa.string()), t["session"])
    attr_cols = [c for c in ("model", "query_source", "effort", "type", "tool_name",
                             "decision", "decision_source", "language", "start_type")
                 if c in t.column_names]
    series = join(session_id, "|", metric,
                  *[p for c in attr_cols for p in ("|", pc.cast(t[c], pa.string()))])

    def const(v: Any) -> pa.Array:
        return pa.repeat(pa.scalar(v), n)

    out = t.drop_columns(["session", "bucket"])
    for name, col in {
        "series_key": series,
        "ts": pc.cast(pc.divide(t_end, 1000), pa.timestamp("us")),
        "time_unix_nano": t_end,
        "start_unix_nano": t_start,
        "description": const(description),
        "unit": const(unit) if unit else pa.nulls(n, pa.string()),
        "kind": const("sum"),
        "temporality": const(1),
        "is_monotonic": const(True),
        "raw_value": t["value"],
        "session_id": session_id,
        "user_id": label([u.user_id for u in team], user),
        "user_email": label([u.email for u in team], user),
        "account_uuid": label([u.account_uuid for u in team], user),
        "organization_id": const(popn.ORGANIZATION_ID),
        "terminal_type": label([u.terminal for u in team], user),
        "service_name": const(popn.SERVICE_NAME),
        "service_version": label([u.version for u in team], user),
        "scope_name": const(popn.METRIC_SCOPE),
        "scope_version": const(popn.SCOPE_VERSION),
        "resource": label([u.resource_json() for u in team], user),
        "attributes": const(POINT_ATTRIBUTES),
    }.items():
        out = out.append_column(name, col)
    return out

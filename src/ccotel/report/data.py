"""Report objects, in ccusage's JSON shape, from the store. One function per report.

Each takes a DuckDB connection and a `ReportQuery` and returns plain data: the CLI prints
it (`--json`) or renders it, and the server's report API returns it unchanged, so
`ccotel report` gives the same answer with or without a server running.

Field names follow ccusage 20 (`period`, `inputTokens`, `outputTokens`,
`cacheCreationTokens`, `cacheReadTokens`, `totalTokens`, `totalCost`, `modelsUsed`,
`modelBreakdowns`, `totals`, `unpricedModels`, and the `blocks` fields), so scripts
written for it keep working; fields ccusage lacks are added, never renamed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb

from ccotel.report.blocks import block_json, build_blocks
from ccotel.report.query import ReportQuery
from ccotel.store import attribution, queries

GRAINS = {"daily": "day", "weekly": "week", "monthly": "month"}
# ccusage's per-report date key, kept beside `period` for scripts that read it.
_LEGACY_KEY = {"daily": "date", "monthly": "month"}


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _cost(v: Any) -> float:
    # Costs are summed as DECIMAL: drop the float noise of the final conversion.
    return round(float(v or 0), 10)


def _tokens(r: dict[str, Any]) -> dict[str, int]:
    t = {"inputTokens": int(r["input_tokens"]), "outputTokens": int(r["output_tokens"]),
         "cacheCreationTokens": int(r["cache_creation_tokens"]),
         "cacheReadTokens": int(r["cache_read_tokens"])}
    t["totalTokens"] = sum(t.values())
    return t


def _breakdown(r: dict[str, Any]) -> dict[str, Any]:
    t = _tokens(r)
    del t["totalTokens"]
    out: dict[str, Any] = {"modelName": r["model"] or "(unknown)", **t,
                           "cost": _cost(r["cost_usd"])}
    if r["unpriced"]:
        out["missingPricing"] = True
    return out


class _Group:
    """Sums over the model rows of one period / session / project."""

    def __init__(self) -> None:
        self.requests = 0
        self.tokens = {"inputTokens": 0, "outputTokens": 0, "cacheCreationTokens": 0,
                       "cacheReadTokens": 0, "totalTokens": 0}
        self.cost = 0.0
        self.breakdowns: list[dict[str, Any]] = []
        self.unpriced: list[str] = []

    def add(self, r: dict[str, Any]) -> None:
        self.requests += int(r["requests"])
        for k, v in _tokens(r).items():
            self.tokens[k] += v
        self.cost += float(r["cost_usd"] or 0)
        if r["model"] is not None:
            self.breakdowns.append(_breakdown(r))
        if r["unpriced"] and r["model"] and r["model"] not in self.unpriced:
            self.unpriced.append(r["model"])

    def fields(self) -> dict[str, Any]:
        return {**self.tokens, "totalCost": _cost(self.cost), "requests": self.requests,
                "modelsUsed": [b["modelName"] for b in self.breakdowns],
                "modelBreakdowns": self.breakdowns}


def _totals(groups: list[_Group]) -> dict[str, Any]:
    total = _Group()
    unpriced: list[str] = []
    for g in groups:
        total.requests += g.requests
        for k, v in g.tokens.items():
            total.tokens[k] += v
        total.cost += g.cost
        unpriced += [m for m in g.unpriced if m not in unpriced]
    out: dict[str, Any] = {**total.tokens, "totalCost": _cost(total.cost),
                           "requests": total.requests}
    if unpriced:
        out["unpricedModels"] = sorted(unpriced)
    return out


def _group_by(rows: list[dict[str, Any]], key: str) -> dict[Any, tuple[_Group, dict[str, Any]]]:
    groups: dict[Any, tuple[_Group, dict[str, Any]]] = {}
    for r in rows:
        g, _first = groups.setdefault(r[key], (_Group(), r))
        g.add(r)
    return groups


def periods(con: duckdb.DuckDBPyConnection, q: ReportQuery, report: str) -> dict[str, Any]:
    """`daily`, `weekly` (ISO weeks, Monday first) or `monthly`."""
    rows = queries.rows(con, "report_periods", **q.params(), tz=q.tz, grain=GRAINS[report])
    groups = _group_by(rows, "period")
    entries = []
    for period, (g, _r) in groups.items():
        entry: dict[str, Any] = {"period": period}
        if report in _LEGACY_KEY:
            entry[_LEGACY_KEY[report]] = period
        entries.append({**entry, **g.fields()})
    return {report: entries, "totals": _totals([g for g, _ in groups.values()])}


def sessions(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    by_session: dict[str, list[dict[str, Any]]] = {}
    for r in queries.rows(con, "report_sessions", **q.params()):
        by_session.setdefault(r["session_id"], []).append(r)
    entries = []
    groups = []
    for sid, rows in by_session.items():
        g = _Group()
        for r in rows:
            g.add(r)
        groups.append(g)
        first = min(r["first_ts"] for r in rows)
        last = max(r["last_ts"] for r in rows)
        project = next((r["project"] for r in rows if r["project"]), None)
        entries.append({"period": sid, "sessionId": sid, "projectPath": project,
                        "firstActivity": _iso(first), "lastActivity": _iso(last),
                        **g.fields(), "metadata": {"lastActivity": _iso(last)}})
    entries.sort(key=lambda e: (e["lastActivity"] or "", e["sessionId"]))
    return {"session": entries, "totals": _totals(groups)}


def blocks(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    cur = queries.run(con, "report_block_entries", **q.params())

    def rows() -> Any:
        while batch := cur.fetchmany(10_000):
            yield from batch

    built = build_blocks(rows())
    now = q.current_time()
    return {"blocks": [block_json(b, now) for b in built]}


def models(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    rows = queries.rows(con, "report_models", **q.params())
    entries = []
    groups = []
    for r in rows:
        g = _Group()
        g.add(r)
        groups.append(g)
        entry = {"modelName": r["model"], "requests": int(r["requests"]),
                 "sessions": int(r["sessions"]), **_tokens(r), "totalCost": _cost(r["cost_usd"]),
                 "avgDurationMs": None if r["avg_duration_ms"] is None
                 else round(float(r["avg_duration_ms"]), 1),
                 "sources": {"telemetry": int(r["telemetry_requests"]),
                             "transcript": int(r["transcript_requests"])},
                 "firstActivity": _iso(r["first_ts"]), "lastActivity": _iso(r["last_ts"])}
        if r["unpriced"]:
            entry["missingPricing"] = True
        entries.append(entry)
    return {"models": entries, "totals": _totals(groups)}


def _grouping_sets(con: duckdb.DuckDBPyConnection, q: ReportQuery, name: str, key: str,
                   out_key: str) -> dict[str, Any]:
    """Reports whose SQL returns a total row per group, then its per-model rows."""
    rows = queries.rows(con, name, **q.params())
    entries: list[dict[str, Any]] = []
    groups: list[_Group] = []
    current: dict[str, Any] | None = None
    g = _Group()
    for r in rows:
        if r["is_total"]:
            g = _Group()
            groups.append(g)
            current = {key: r[out_key], "sessions": int(r["sessions"]),
                       "lastActivity": _iso(r["last_ts"])}
            entries.append(current)
            continue
        g.add(r)
        assert current is not None
        current.update(g.fields())
    return {f"{key}s": entries, "totals": _totals(groups)}


def projects(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    return _grouping_sets(con, q, "report_projects", "project", "project")


def users(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    return _grouping_sets(con, q, "report_users", "user", "user")


def tools(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    rows = queries.rows(con, "report_tools", **q.params())
    entries = []
    for r in rows:
        ran = int(r["telemetry_calls"])
        entries.append({
            "toolName": r["tool"], "calls": int(r["calls"]),
            "telemetryCalls": ran, "transcriptCalls": int(r["transcript_calls"]),
            "failures": int(r["failures"]), "rejected": int(r["rejected"]),
            "successRate": None if not ran else round(1 - int(r["failures"]) / ran, 4),
            "avgDurationMs": None if r["avg_duration_ms"] is None
            else round(float(r["avg_duration_ms"]), 1),
            "sessions": int(r["sessions"]), "lastActivity": _iso(r["last_ts"])})
    totals = {"calls": sum(e["calls"] for e in entries),
              "failures": sum(e["failures"] for e in entries),
              "rejected": sum(e["rejected"] for e in entries)}
    return {"tools": entries, "totals": totals}


# Attribution reports: report name -> the dimension it groups by, and the key it is listed
# under. The other reports take the attribution path when filtered or broken down by a
# dimension other than model (`ATTRIBUTED`: the dimension they group by).
ATTRIBUTION = {"repos": "repo", "branches": "branch", "skills": "skill", "agents": "agent",
               "mcp": "mcp"}
ATTRIBUTED = {"daily": "day", "weekly": "week", "monthly": "month", "session": "session",
              "models": "model", "projects": "project", "users": "user", **ATTRIBUTION}


def _exact(v: Any) -> str:
    """A DECIMAL sum as text: every digit, for sums that must add up exactly."""
    return format(v.normalize() if v else 0, "f")


def _attrib_fields(r: dict[str, Any]) -> dict[str, Any]:
    return {"requests": int(r["requests"]), "sessions": int(r["sessions"]), **_tokens(r),
            "totalCost": _cost(r["cost_usd"]), "totalCostExact": _exact(r["cost_usd"]),
            "firstActivity": _iso(r["first_ts"]), "lastActivity": _iso(r["last_ts"])}


def attributed(con: duckdb.DuckDBPyConnection, q: ReportQuery, report: str) -> dict[str, Any]:
    """Report `report` grouped by its dimension, each group split by `q.breakdown` (model
    when none), filtered by `q.filters`. Costs are DECIMAL sums from one query's grouping
    sets: each group's parts add up exactly to it (`totalCostExact`), and the groups to
    `totals`."""
    dim = ATTRIBUTED[report]
    sub = q.breakdown or "model"
    entries: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for r in attribution.rows(con, "report_attribution", {
            **q.params(), **q.attrib_filters(), "tz": q.tz, "dim": dim, "sub": sub}):
        if r["is_grand"]:
            totals = _attrib_fields(r)
            del totals["firstActivity"], totals["lastActivity"]
            if r["unpriced_models"]:
                totals["unpricedModels"] = list(r["unpriced_models"])
        elif r["is_total"]:
            key = {"period": r["key"]} if report in GRAINS else {}
            entries.append({**key, dim: r["key"], **_attrib_fields(r), "breakdownBy": sub,
                            "breakdowns": []})
        else:
            part = {sub: r["sub"], **_attrib_fields(r)}
            if r["unpriced"]:
                part["missingPricing"] = True
            entries[-1]["breakdowns"].append(part)
    if sub == "model":  # ccusage's names for a per-model split
        for e in entries:
            e["modelsUsed"] = [b["model"] for b in e["breakdowns"]]
    empty = {"requests": 0, "sessions": 0, "inputTokens": 0, "outputTokens": 0,
             "cacheCreationTokens": 0, "cacheReadTokens": 0, "totalTokens": 0,
             "totalCost": 0.0, "totalCostExact": "0"}
    return {report: entries, "totals": totals or empty, "dimension": dim,
            "filters": dict(q.filters)}


def waste(con: duckdb.DuckDBPyConnection, q: ReportQuery) -> dict[str, Any]:
    """Where the money went: per day, user and repo, the cost of compactions and subagents,
    cache-creation tokens paid again, and the requests that produced nothing."""
    entries: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for r in attribution.rows(con, "report_waste", {
            **q.params(), **q.attrib_filters(), "tz": q.tz}):
        fields = {"requests": int(r["requests"]), "totalCost": _cost(r["cost_usd"]),
                  "totalCostExact": _exact(r["cost_usd"]),
                  "compactions": int(r["compactions"]),
                  "compactionCost": _cost(r["compaction_cost"]),
                  "subagentRequests": int(r["subagent_requests"]),
                  "subagentCost": _cost(r["subagent_cost"]),
                  "cacheRewriteTokens": int(r["cache_rewrite_tokens"]),
                  "apiErrors": int(r["api_errors"]),
                  "retriesExhausted": int(r["retries_exhausted"]),
                  "refusals": int(r["refusals"]), "failedCost": _cost(r["failed_cost"])}
        if r["is_grand"]:
            totals = fields
        else:
            entries.append({"period": r["day"], "user": r["user"], "repo": r["repo"],
                            **fields})
    return {"waste": entries, "totals": totals, "filters": dict(q.filters)}


REPORTS: dict[str, Callable[[duckdb.DuckDBPyConnection, ReportQuery], dict[str, Any]]] = {
    "daily": lambda con, q: periods(con, q, "daily"),
    "weekly": lambda con, q: periods(con, q, "weekly"),
    "monthly": lambda con, q: periods(con, q, "monthly"),
    "session": sessions,
    "blocks": blocks,
    "models": models,
    "tools": tools,
    "projects": projects,
    "users": users,
    **{name: partial(attributed, report=name) for name in ATTRIBUTION},
    "waste": waste,
}



def build(con: duckdb.DuckDBPyConnection, report: str, q: ReportQuery) -> dict[str, Any]:
    if report in ATTRIBUTED and (q.filters or (q.breakdown or "model") != "model"):
        return attributed(con, q, report)
    return REPORTS[report](con, q)

"""Attribution: which repo, branch, skill, subagent, MCP server or team a request's cost
belongs to.

The dimensions are defined once, in SQL (`sql/attrib_macros.sql`: `attrib_value`); this
module names them for users, checks the names users give, and runs the attribution queries
with those macros in place. A name that is not in `DIMENSIONS` is looked up in the records'
attributes and resources, so `OTEL_RESOURCE_ATTRIBUTES` keys (team, department,
cost_center, ...) work without being listed anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

import duckdb

from ccotel.query import BadQuery, Query
from ccotel.store import batch, queries, rollups, schema
from ccotel.store.rows import GIT_EVENT

DIMENSIONS: dict[str, str] = {
    "repo": "git repository of the session (host/owner/name of its remote, else its folder)",
    "branch": "git branch of the session",
    "project": "directory Claude Code ran in",
    "user": "user.email, else user.id",
    "model": "model (with -fast for fast mode)",
    "session": "session.id",
    "hour": "hour, in the report's time zone",
    "day": "day, in the report's time zone",
    "week": "ISO week (its Monday), in the report's time zone",
    "month": "month, in the report's time zone",
    "source": "telemetry or transcript",
    "query_source": "main, subagent, auxiliary or compact",
    "effort": "reasoning effort",
    "speed": "normal or fast",
    "skill": "skill.name",
    "agent": "agent.name (the subagent)",
    "plugin": "plugin.name",
    "mcp": "mcp_server.name",
    "mcp_tool": "mcp_tool.name",
    "terminal": "terminal.type",
    "version": "service.version (Claude Code's version)",
}
# Dimensions of a request rather than of its session: only the panels that read requests
# one by one (the attribution panels, Where the Money Went) can filter by them.
REQUEST_DIMENSIONS = ("query_source", "effort", "speed", "skill", "agent", "plugin", "mcp",
                      "mcp_tool")
# Attribute names Claude Code uses for the dimensions above, accepted as synonyms.
ALIASES = {"skill.name": "skill", "agent.name": "agent", "plugin.name": "plugin",
           "mcp_server.name": "mcp", "mcp_server": "mcp", "mcp_tool.name": "mcp_tool",
           "terminal.type": "terminal", "service.version": "version", "subagent": "agent",
           "git.branch": "branch", "git.repo": "repo", "user.email": "user",
           "session.id": "session"}
# Any other attribute or resource key: what OpenTelemetry allows in practice, kept short so
# it is safe inside a JSON path.
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
UNKNOWN = "(unknown)"


def dimension(name: str | None, what: str = "dimension") -> str:
    """The canonical name of dimension `name`, or a BadQuery saying what is allowed."""
    text = (name or "").strip()
    text = ALIASES.get(text, text)
    if text in DIMENSIONS or _KEY.match(text):
        return text
    raise BadQuery(f"{what} {str(name)[:60]!r} is not a dimension: use one of "
                   f"{', '.join(DIMENSIONS)}, or an attribute or resource key such as team")


def session_level(dim: str) -> bool:
    """Whether every panel can filter by `dim` through its sessions (macros.sql:
    attrib_sessions): repo, branch, project and resource keys such as team."""
    return dim in ("repo", "branch", "project") or (dim not in DIMENSIONS and dim != "model.id")


def unfiltered(q: Query) -> list[str]:
    """The query's filters that a panel reading rollups or sessions cannot apply."""
    return [d for d, _ in q.attrib if not session_level(d)]


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
         ) -> list[dict[str, Any]]:
    """Rows of query `name`. The attribution macros are stored with the others
    (`schema.install_macros`); a connection that lacks them (a cursor of a read-only
    connection, which has them as its own temp macros) gets them as temp macros first."""
    # No rollup window unless given (reports: raw rows, any time zone).
    defaults = {k: None for k in queries.ROLLUP if k in queries.named(name).params}
    try:
        return queries.rows(con, name, **{**defaults, **params})
    except duckdb.CatalogException as exc:
        if "attrib_" not in str(exc):
            raise
    schema.install_macros(con, temp=True)
    return queries.rows(con, name, **{**defaults, **params})


# -- a session's git facts ------------------------------------------------------------------

GIT_FIELDS = ("repo", "branch", "head", "worktree", "toplevel")
_MAX_FIELD = 1000


def git_record(session_id: str, facts: dict[str, Any], *, now_ns: int) -> bytes:
    """The record of a session's repo and branch (what `ccotel hook` and the statusline
    send), as an OTLP/JSON log record: a `ccotel.git` event with `git.*` attributes, so it
    is decoded, stored and deduplicated like any event, by the one writer. The newest one of
    a session names its repo and branch (attrib_macros.sql). A value that is not a short
    string is a BadQuery."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 200:
        raise BadQuery("session id: 1 to 200 characters")
    unknown = set(facts) - set(GIT_FIELDS)
    if unknown:
        raise BadQuery(f"unknown field {min(unknown)[:40]!r}: use {', '.join(GIT_FIELDS)}")
    attrs = [{"key": "session.id", "value": {"stringValue": session_id}},
             {"key": "event.name", "value": {"stringValue": GIT_EVENT}}]
    for name in GIT_FIELDS:
        value = facts.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > _MAX_FIELD:
            raise BadQuery(f"{name}: a string of at most {_MAX_FIELD} characters")
        attrs.append({"key": f"git.{name}", "value": {"stringValue": value}})
    if not facts.get("repo"):
        raise BadQuery("repo is required")
    record = {"timeUnixNano": str(now_ns), "body": {"stringValue": GIT_EVENT},
              "attributes": attrs}
    return json.dumps({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "ccotel"}}]},
        "scopeLogs": [{"scope": {"name": "ccotel"}, "logRecords": [record]}]}]}).encode()


# -- dashboard panels -----------------------------------------------------------------------

# Panel id -> the dimension its "Cost by ..." breakdown groups by (ccotel.panels lists them).
PANEL_DIMENSIONS: dict[str, str] = {
    "cost_by_repo": "repo", "cost_by_branch": "branch", "cost_by_skill": "skill",
    "cost_by_agent": "agent", "cost_by_mcp": "mcp", "cost_by_query_source": "query_source",
    "cost_by_effort": "effort", "cost_by_team": "team"}
TOP_ITEMS = 10
OTHER = "(other)"
# The dashboard's own filters, as the attribution dimensions they stand for.
_QUERY_FILTERS = (("user", "user"), ("session", "session"), ("terminal", "terminal"),
                  ("version", "version"))


def panel_filters(q: Query) -> dict[str, Any]:
    """`fdims`/`fvals` for attrib_requests: the query's `var-` filters, all of them."""
    pairs = dict(q.attrib)
    for field, dim in _QUERY_FILTERS:
        value = getattr(q, field)
        if value is not None:
            pairs[dim] = value
    if q.model is not None:
        pairs["model.id"] = q.model
    return {"fdims": list(pairs), "fvals": list(pairs.values())}


def _window(con: duckdb.DuckDBPyConnection, q: Query, *, days: bool = False
            ) -> dict[str, Any]:
    """$rollup_from/$rollup_to: the whole hours of the range that attrib_hourly holds;
    with `days`, also $day_from/$day_to: the whole days of those that attrib_daily holds."""
    first, last = queries.window(con, q.start, q.end)
    out = {"rollup_from": first, "rollup_to": last}
    if days:
        out["day_from"], out["day_to"] = rollups.days(first, last)
    return out


def _money(v: Decimal) -> float:
    return round(float(v), 12)


# The dimensions panel_attrib_fast.sql breaks an unfiltered panel down by (any resource
# key too): those of a request's own row or of its session, not its user, model or time.
FAST_DIMENSIONS = ("repo", "branch", "project", "query_source", "effort", "speed", "terminal",
                   "version", "skill", "agent", "plugin", "mcp", "mcp_tool")


# Those of them a request row names itself (not its session, not a resource key), each
# with its column of attrib_daily (attrib_daily_col): panel_attrib_named.sql reads their
# whole days from attrib_daily_values.
NAMED_DIMENSIONS: dict[str, str] = {
    "query_source": "query_source", "effort": "effort", "speed": "speed",
    "terminal": "terminal_type", "version": "service_version", "skill": "skill",
    "agent": "agent", "plugin": "plugin", "mcp": "mcp", "mcp_tool": "mcp_tool"}


def fast(dim: str) -> bool:
    """Whether panel_attrib_fast.sql breaks an unfiltered panel down by `dim` (a dimension
    `dimension()` accepted)."""
    return dim in FAST_DIMENSIONS or (
        dim not in DIMENSIONS and dim not in ("model.id", "terminal.type", "service.version"))


def breakdown_panel(con: duckdb.DuckDBPyConnection, q: Query, dim: str,
                    top: int | None = TOP_ITEMS) -> dict[str, Any]:
    """Cost, tokens, requests and sessions per value of `dim` in the range, largest cost
    first: the `top` ones, then one "(other)" item for the rest, so the items add up
    exactly to `total` (DECIMAL sums; `cost_exact` keeps every digit). With `top` None,
    every value, in the order of their names (times)."""
    filters = panel_filters(q)
    if dim in NAMED_DIMENSIONS and not filters["fdims"]:
        found = named_breakdowns(con, q, _named_of_batch(dim))[dim]
    elif fast(dim) and not filters["fdims"]:
        found = rows(con, "panel_attrib_fast", {"from": q.start, "to": q.end, "dim": dim,
                                                **_window(con, q, days=True)})
    else:
        found = rows(con, "panel_attrib_breakdown",
                     {"from": q.start, "to": q.end, "dim": dim, **filters,
                      **_window(con, q)})
    total = found[0] if found and found[0]["is_total"] else None
    return _breakdown(dim, [r for r in found if not r["is_total"]], total, top)


def named_breakdowns(con: duckdb.DuckDBPyConnection, q: Query, dims: tuple[str, ...]
                     ) -> dict[str, list[dict[str, Any]]]:
    """The rows of the unfiltered breakdowns by the named dimensions `dims`
    (`NAMED_DIMENSIONS`), each its total's first, then its values' (largest cost first),
    from one statement (panel_attrib_named.sql); once per batch (`store.batch`)."""
    def read() -> dict[str, list[dict[str, Any]]]:
        cols = {NAMED_DIMENSIONS[d]: d for d in dims}
        found = rows(con, "panel_attrib_named", {"from": q.start, "to": q.end,
                                                 "cols": [*cols, "session"],
                                                 **_window(con, q, days=True)})
        out: dict[str, list[dict[str, Any]]] = {d: [] for d in dims}
        total: list[dict[str, Any]] = []
        for r in found:
            col = r.pop("col")
            (total if r["is_total"] else out[cols[col]]).append(r)
        return {d: total + out[d] for d in dims}
    return batch.once(("named_breakdowns", dims, repr(q)), read)


def _named_of_batch(dim: str) -> tuple[str, ...]:
    """The named dimensions read with `dim`: those of every breakdown panel of the batch
    being read (`store.batch`), else `dim` alone."""
    b = batch.current()
    if b is None:
        return (dim,)
    return tuple(sorted({dim} | {d for pid, d in PANEL_DIMENSIONS.items()
                                 if pid in b.panels and d in NAMED_DIMENSIONS}))


def _breakdown(dim: str, parts: list[dict[str, Any]], total: dict[str, Any] | None,
               top: int | None) -> dict[str, Any]:
    """A breakdown's JSON from its rows (largest cost first) and its total row."""
    if top is None:
        parts = sorted(parts, key=lambda r: r["key"])
    shown, rest = parts[:top], parts[top:] if top is not None else []
    if rest:
        shown.append({"key": OTHER, "requests": sum(r["requests"] for r in rest),
                      "sessions": None, "tokens": sum(r["tokens"] for r in rest),
                      "cost_usd": sum((r["cost_usd"] for r in rest), Decimal(0))})

    def item(r: dict[str, Any]) -> dict[str, Any]:
        return {"name": r["key"], "value": _money(r["cost_usd"]),
                "cost_exact": format(r["cost_usd"].normalize(), "f"),
                "tokens": int(r["tokens"]), "requests": int(r["requests"]),
                "sessions": None if r["sessions"] is None else int(r["sessions"])}

    zero = {"requests": 0, "sessions": 0, "tokens": 0, "cost_usd": Decimal(0)}
    return {"dimension": dim, "items": [item(r) for r in shown],
            "total": item({**(total or zero), "key": "Total"})}


_WASTE_SUMS = ("requests", "cost_usd", "compactions", "compaction_cost", "subagent_requests",
               "subagent_cost", "cache_rewrite_tokens", "api_errors", "retries_exhausted",
               "refusals", "failed_cost")
WASTE_COLUMNS = (("user", "User", "string"), ("repo", "Repo", "string"),
                 ("cost_usd", "Cost", "currencyUSD"),
                 ("compaction_cost", "Compactions", "currencyUSD"),
                 ("subagent_cost", "Subagents", "currencyUSD"),
                 ("failed_cost", "Failed requests", "currencyUSD"),
                 ("cache_rewrite_tokens", "Cache re-paid", "short"),
                 ("api_errors", "API errors", "short"),
                 ("retries_exhausted", "Retries exhausted", "short"),
                 ("refusals", "Refusals", "short"))
TOP_WASTE = 20


def waste_panel(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, Any]:
    """Where the money went (`report_waste.sql`, as `ccotel report waste`; without filters
    its sums per user and repo alone, `panel_attrib_waste.sql`), per user and repo over the
    range, those with the most spent on compactions, subagents and failed
    requests first; `total` is the whole range's row from the same sums. The whole hours
    of the range come from attrib_hourly."""
    filters = panel_filters(q)
    if filters["fdims"]:
        found = rows(con, "report_waste", {"from": q.start, "to": q.end, "tz": "UTC",
                                           "source": "all", **filters, **_window(con, q)})
    else:  # the same sums, per user and repo only (panel_attrib_waste.sql)
        found = rows(con, "panel_attrib_waste", {"from": q.start, "to": q.end,
                                                 **_window(con, q, days=True)})
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    total: dict[str, Any] = {"user": None, "repo": None, **{k: 0 for k in _WASTE_SUMS}}
    for r in found:
        if r["is_grand"]:
            total.update({k: r[k] for k in _WASTE_SUMS})
            continue
        g = groups.setdefault((r["user"], r["repo"]), {"user": r["user"], "repo": r["repo"],
                                                       **{k: 0 for k in _WASTE_SUMS}})
        for k in _WASTE_SUMS:
            g[k] += r[k]

    def wasted(g: dict[str, Any]) -> Decimal:
        return Decimal(g["compaction_cost"] + g["subagent_cost"] + g["failed_cost"])

    def shaped(g: dict[str, Any]) -> dict[str, Any]:
        return {k: _money(v) if isinstance(v, Decimal) else v for k, v in g.items()}

    ordered = sorted(groups.values(), key=lambda g: (-wasted(g), -g["cache_rewrite_tokens"],
                                                      g["user"], g["repo"]))
    return {"columns": [{"id": c, "title": title, "unit": unit}
                        for c, title, unit in WASTE_COLUMNS],
            "rows": [shaped(g) for g in ordered[:TOP_WASTE]], "total": shaped(total)}


PANEL_FUNCTIONS: dict[str, Callable[[duckdb.DuckDBPyConnection, Query], dict[str, Any]]] = {
    **{pid: partial(breakdown_panel, dim=dim) for pid, dim in PANEL_DIMENSIONS.items()},
    "waste": waste_panel}


# -- the dashboard's filters ----------------------------------------------------------------

# The named dimensions the dashboard offers as `var-` filters beyond its own (user, model,
# session, terminal, version), in the order it lists them (attrib_filters.sql names the
# same ones); resource keys found in the data follow them.
FILTER_DIMENSIONS = ("repo", "branch", "query_source", "effort", "speed", "skill", "agent",
                     "plugin", "mcp", "mcp_tool")
# Resource keys every OpenTelemetry SDK or Claude Code sets: not team-like, not offered.
_STANDARD_RESOURCE = ("service", "os", "host", "telemetry", "process")
FILTER_VALUES = 100


def filter_values(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, list[dict[str, Any]]]:
    """Dimension -> the values its filter offers in the range (at most FILTER_VALUES, most
    used first, with their request counts); a dimension with no known value is left out."""
    found = rows(con, "attrib_filters", {"from": q.start, "to": q.end,
                                         **_window(con, q, days=True),
                                         "standard": list(_STANDARD_RESOURCE),
                                         # what attrib_value names itself
                                         "named": [*DIMENSIONS, "model.id", "terminal.type",
                                                   "service.version"],
                                         "limit": FILTER_VALUES})
    out: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        out.setdefault(r["filter"], []).append({"value": r["value"], "count": int(r["n"])})
    named = [d for d in FILTER_DIMENSIONS if d in out]
    order = named + sorted(d for d in out if d not in FILTER_DIMENSIONS)
    return {d: out[d] for d in order if any(v["value"] != UNKNOWN for v in out[d])}


# -- a repo's page ----------------------------------------------------------------------------

# The repo page's parts and the dimensions they break the repo's cost down by
# (panel_attrib_page.sql: people by user, models by model, in its `k` and `s`).
REPO_PARTS = (("people", "user"), ("models", "model"), ("branches", "branch"),
              ("sessions", "session"))


def time_dimension(q: Query) -> str:
    """The time buckets of a page's cost over time: hours up to two days, days up to four
    months, months beyond (a few hundred bars at most)."""
    days = (q.end - q.start).total_seconds() / 86400
    return "hour" if days <= 2 else "day" if days <= 124 else "month"


def repo_page(con: duckdb.DuckDBPyConnection, q: Query, repo: str) -> dict[str, Any]:
    """One repo in the range, under the query's other filters: its total, its people,
    models, branches and sessions (each adding up to the total), and its cost over time;
    all from one query (panel_attrib_page.sql; without other filters panel_attrib_repo.sql),
    each part as `breakdown_panel` gives it."""
    others = panel_filters(replace(q, attrib=tuple((d, v) for d, v in q.attrib
                                                   if d != "repo")))
    step = time_dimension(q)
    params = {"from": q.start, "to": q.end, "step": step, "repo": repo, **_window(con, q)}
    if others["fdims"]:
        found = rows(con, "panel_attrib_page", {**params, **others})
    else:  # the same parts, only what the page shows (panel_attrib_repo.sql); its whole
        # days from requests_daily, unless the buckets are hours
        last = params["rollup_to"]
        day_from, day_to = (rollups.days(params["rollup_from"], last) if step != "hour"
                            else (last, last))
        found = rows(con, "panel_attrib_repo", {**params, "top": TOP_ITEMS,
                                                "day_from": day_from, "day_to": day_to})
    by_part: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        by_part.setdefault(r["part"], []).append(r)
    total = next(iter(by_part.get("total", [])), None)
    out: dict[str, Any] = {"repo": repo}
    for name, dim in REPO_PARTS:
        part = _breakdown(dim, by_part.get(name, []), total, TOP_ITEMS)
        out["total"] = part["total"]
        out[name] = part["items"]
    out["over_time"] = {"step": step,
                        "items": _breakdown(step, by_part.get("over_time", []), total,
                                            None)["items"]}
    return out

"""Attribution reports (`repos`, `branches`, `skills`, `agents`, `mcp`, `waste`, and any
report with `--breakdown DIM` or a filter) as rich tables, in `render.py`'s layout."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from ccotel.report.render import (
    COMPACT_BELOW,
    _n,
    _table,
    _token_cells,
    _token_columns,
    _unpriced_note,
    _usd,
    short_model,
)

TITLES = {"repo": "repository", "branch": "branch", "skill": "skill", "agent": "subagent",
          "mcp": "MCP server", "day": "day", "week": "week", "month": "month",
          "session": "session", "model": "model", "project": "project", "user": "user"}


def _label(value: str, dim: str) -> str:
    return short_model(value) if dim == "model" else value


def render_attributed(name: str, report: dict[str, Any], console: Console, *,
                      breakdown: bool) -> None:
    """One row per group with its requests and sessions, a row per part of its breakdown
    (with --breakdown), the total at the end; filters are named in the title."""
    if name == "waste":
        render_waste(report, console)
        return
    dim = report["dimension"]
    compact = console.width < COMPACT_BELOW
    title = f"Claude Code usage by {TITLES.get(dim, dim)}"
    if report.get("filters"):
        title += " (" + ", ".join(f"{k}={v}" for k, v in report["filters"].items()) + ")"
    t = _table(console, title, [(dim.capitalize(), "left"), ("Requests", "right"),
                                ("Sessions", "right"), *_token_columns(compact)])
    for e in report[name]:
        unpriced = any(b.get("missingPricing") for b in e["breakdowns"])
        t.add_row(_label(e[dim], dim), _n(e["requests"]), _n(e["sessions"]),
                  *_token_cells(e, compact, unpriced=unpriced))
        if breakdown:
            sub = e["breakdownBy"]
            for b in e["breakdowns"]:
                t.add_row(Text(f"  └ {sub}: {_label(b[sub], sub)}", style="dim"),
                          *[Text(c, style="dim") for c in
                            [_n(b["requests"]), _n(b["sessions"]),
                             *_token_cells(b, compact, unpriced=bool(b.get("missingPricing")))]])
    tot = report["totals"]
    t.add_section()
    t.add_row(Text("Total", style="bold"), Text(_n(tot["requests"]), style="bold"),
              Text(_n(tot["sessions"]), style="bold"),
              *[Text(c, style="bold") for c in _token_cells(tot, compact,
                                                             unpriced="unpricedModels" in tot)])
    console.print(t)
    _unpriced_note(console, tot)
    if not report[name]:
        console.print("No usage in this range.", style="yellow")


def render_waste(report: dict[str, Any], console: Console) -> None:
    """Where the money went: a row per day, user and repo."""
    compact = console.width < COMPACT_BELOW
    cols = [("Day", "left"), ("User", "left"), ("Repo", "left"), ("Cost", "right"),
            ("Compactions", "right"), ("Subagents", "right")]
    if not compact:
        cols += [("Cache rewrites", "right"), ("Errors", "right"), ("Refusals", "right")]
    t = _table(console, "Where the money went", cols)

    def cells(e: dict[str, Any]) -> list[str]:
        row = [_usd(e["totalCost"]),
               f"{_usd(e['compactionCost'])} ({_n(e['compactions'])})",
               f"{_usd(e['subagentCost'])} ({_n(e['subagentRequests'])})"]
        if not compact:
            row += [_n(e["cacheRewriteTokens"]), _n(e["apiErrors"] + e["retriesExhausted"]),
                    _n(e["refusals"])]
        return row

    for e in report["waste"]:
        t.add_row(e["period"], e["user"], e["repo"], *cells(e))
    t.add_section()
    t.add_row(Text("Total", style="bold"), "", "",
              *[Text(c, style="bold") for c in cells(report["totals"])])
    console.print(t)
    if not report["waste"]:
        console.print("No usage in this range.", style="yellow")

"""Attribution reports (`repos`, `branches`, `skills`, `agents`, `mcp`, `waste`, and any
report with `--breakdown DIM` or a filter) as rich tables, in `render.py`'s layout."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from ccotel.report.render import (
    _TOKENS,
    Column,
    Num,
    Sheet,
    _token_cells,
    _unpriced_note,
    range_text,
    short_model,
    show,
)

TITLES = {"repo": "repository", "branch": "branch", "skill": "skill", "agent": "subagent",
          "mcp": "MCP server", "day": "day", "week": "week", "month": "month",
          "session": "session", "model": "model", "project": "project", "user": "user"}


def _label(value: str, dim: str) -> str:
    return short_model(value) if dim == "model" else value


def _filters(report: dict[str, Any]) -> str:
    f = report.get("filters") or {}
    return " (" + ", ".join(f"{k}={v}" for k, v in f.items()) + ")" if f else ""


def render_attributed(name: str, report: dict[str, Any], console: Console, *,
                      breakdown: bool, wide: bool = False) -> None:
    """One row per group with its requests and sessions, a row per part of its breakdown
    (with --breakdown), the total at the end; filters are named in the title."""
    if name == "waste":
        render_waste(report, console, wide=wide)
        return
    dim = report["dimension"]
    label = dim.capitalize()
    sheet = Sheet(f"Claude Code usage by {TITLES.get(dim, dim)}{_filters(report)}"
                  + range_text(report),
                  [Column(label), Column("Requests", True), Column("Sessions", True, 1),
                   *_TOKENS])
    for e in report[name]:
        unpriced = any(b.get("missingPricing") for b in e["breakdowns"])
        sheet.add({label: _label(e[dim], dim), "Requests": Num(e["requests"]),
                   "Sessions": Num(e["sessions"]), **_token_cells(e, unpriced=unpriced)})
        if breakdown:
            sub = e["breakdownBy"]
            for b in e["breakdowns"]:
                sheet.add({label: f"  └ {sub}: {_label(b[sub], sub)}",
                           "Requests": Num(b["requests"]), "Sessions": Num(b["sessions"]),
                           **_token_cells(b, unpriced=bool(b.get("missingPricing")))}, "dim")
    tot = report["totals"]
    sheet.section()
    sheet.add({label: "Total", "Requests": Num(tot["requests"]),
               "Sessions": Num(tot["sessions"]),
               **_token_cells(tot, unpriced="unpricedModels" in tot)}, "bold")
    show(sheet, console, wide=wide)
    _unpriced_note(console, tot)
    if not report[name]:
        console.print("No usage in this range.", style="yellow")


def render_waste(report: dict[str, Any], console: Console, *, wide: bool = False) -> None:
    """Where the money went: a row per day, user and repo."""
    sheet = Sheet("Where the money went" + _filters(report) + range_text(report),
                  [Column("Day"), Column("User"), Column("Repo"), Column("Cost", True),
                   Column("Compactions", True, 1), Column("Compaction $", True),
                   Column("Subagents", True, 1), Column("Subagent $", True),
                   Column("Cache rewrites", True, 2), Column("Errors", True, 2),
                   Column("Refusals", True, 2)])

    def cells(e: dict[str, Any]) -> dict[str, Any]:
        return {"Cost": Num(e["totalCost"], usd=True), "Compactions": Num(e["compactions"]),
                "Compaction $": Num(e["compactionCost"], usd=True),
                "Subagents": Num(e["subagentRequests"]),
                "Subagent $": Num(e["subagentCost"], usd=True),
                "Cache rewrites": Num(e["cacheRewriteTokens"]),
                "Errors": Num(e["apiErrors"] + e["retriesExhausted"]),
                "Refusals": Num(e["refusals"])}

    for e in report["waste"]:
        sheet.add({"Day": e["period"], "User": e["user"], "Repo": e["repo"], **cells(e)})
    sheet.section()
    sheet.add({"Day": "Total", **cells(report["totals"])}, "bold")
    show(sheet, console, wide=wide)
    if not report["waste"]:
        console.print("No usage in this range.", style="yellow")

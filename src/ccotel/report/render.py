"""Report objects (from `data.py`) as rich tables that fit the terminal.

Under 100 columns a table drops the cache and total-token columns, as ccusage's compact
layout does; the JSON always has everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

COMPACT_BELOW = 100
_DATED = re.compile(r"-\d{8}$")


def short_model(name: str) -> str:
    """`claude-sonnet-4-5-20250929` -> `sonnet-4-5`: the part that tells models apart."""
    s = name.removeprefix("claude-")
    return _DATED.sub("", s)


def _n(v: int) -> str:
    return f"{v:,}"


def _usd(v: float, unpriced: bool = False) -> str:
    return f"${v:,.2f}" + ("*" if unpriced else "")


def _table(console: Console, title: str, columns: list[tuple[str, str]]) -> Table:
    t = Table(title=title, title_justify="left", show_footer=False,
              header_style="bold cyan", expand=False)
    for name, justify in columns:
        numeric = justify == "right"
        t.add_column(name, justify=justify, no_wrap=numeric,  # type: ignore[arg-type]
                     overflow="fold")
    return t


def _token_cells(e: dict[str, Any], compact: bool, cost_key: str = "totalCost",
                 unpriced: bool = False) -> list[str]:
    cells = [_n(e["inputTokens"]), _n(e["outputTokens"])]
    if not compact:
        cells += [_n(e["cacheCreationTokens"]), _n(e["cacheReadTokens"]),
                  _n(e.get("totalTokens", e["inputTokens"] + e["outputTokens"]
                           + e["cacheCreationTokens"] + e["cacheReadTokens"]))]
    return cells + [_usd(e[cost_key], unpriced)]


def _token_columns(compact: bool) -> list[tuple[str, str]]:
    cols = [("Input", "right"), ("Output", "right")]
    if not compact:
        cols += [("Cache Create", "right"), ("Cache Read", "right"), ("Total Tokens", "right")]
    return cols + [("Cost (USD)", "right")]


def render_grouped(report: dict[str, Any], key: str, label: str, title: str,
                   console: Console, *, breakdown: bool,
                   first_cell: Callable[[dict[str, Any]], str] | None = None) -> None:
    """daily / weekly / monthly / session / projects / users: one row per group, its
    models listed (and, with --breakdown, a row per model), a total row at the end."""
    compact = console.width < COMPACT_BELOW
    t = _table(console, title, [(label, "left"), ("Models", "left"), *_token_columns(compact)])
    entries = report[key]
    for e in entries:
        unpriced = any(b.get("missingPricing") for b in e["modelBreakdowns"])
        models = "\n".join(short_model(m) for m in e["modelsUsed"]) or "-"
        cell = first_cell(e) if first_cell else str(e.get("period", ""))
        t.add_row(cell, models, *_token_cells(e, compact, unpriced=unpriced))
        if breakdown and len(e["modelBreakdowns"]) > 0:
            for b in e["modelBreakdowns"]:
                t.add_row(Text(f"  └ {short_model(b['modelName'])}", style="dim"), "",
                          *[Text(c, style="dim") for c in _token_cells(
                              b, compact, "cost", bool(b.get("missingPricing")))])
    tot = report["totals"]
    t.add_section()
    t.add_row(Text("Total", style="bold"), "",
              *[Text(c, style="bold") for c in _token_cells(tot, compact,
                                                             unpriced="unpricedModels" in tot)])
    console.print(t)
    _unpriced_note(console, tot)
    if not entries:
        console.print("No usage in this range.", style="yellow")


def _unpriced_note(console: Console, totals: dict[str, Any]) -> None:
    if totals.get("unpricedModels"):
        console.print("* no price known for " + ", ".join(totals["unpricedModels"])
                      + ": their cost counts as $0", style="yellow")


def render_blocks(report: dict[str, Any], console: Console, *, breakdown: bool) -> None:
    compact = console.width < COMPACT_BELOW
    t = _table(console, "Claude Code usage by 5-hour window",
               [("Window start", "left"), ("Status", "left"), ("Models", "left"),
                *_token_columns(compact)])
    active = None
    for b in report["blocks"]:
        start = b["startTime"][:16].replace("T", " ")
        if b["isGap"]:
            t.add_row(Text(start, style="dim"), Text("idle", style="dim"), "", *[""] * (
                3 if compact else 6))
            continue
        tc = b["tokenCounts"]
        cells = {"inputTokens": tc["inputTokens"], "outputTokens": tc["outputTokens"],
                 "cacheCreationTokens": tc["cacheCreationInputTokens"],
                 "cacheReadTokens": tc["cacheReadInputTokens"],
                 "totalTokens": b["totalTokens"], "totalCost": b["costUSD"]}
        status = Text("ACTIVE", style="bold green") if b["isActive"] else Text("done")
        unpriced = any(m.get("missingPricing") for m in b.get("modelBreakdowns", []))
        t.add_row(start, status, "\n".join(short_model(m) for m in b["models"]),
                  *_token_cells(cells, compact, unpriced=unpriced))
        if breakdown:
            for m in b.get("modelBreakdowns", []):
                t.add_row(Text(f"  └ {short_model(m['modelName'])}", style="dim"), "", "",
                          *[Text(c, style="dim") for c in _token_cells(m, compact, "cost")])
        if b["isActive"]:
            active = b
    console.print(t)
    if active and active["burnRate"]:
        br, pr = active["burnRate"], active["projection"]
        console.print(f"Active window: {br['tokensPerMinute']:,.0f} tokens/min, "
                      f"${br['costPerHour']:,.2f}/hour; by its end "
                      f"({pr['remainingMinutes']} min left): ~{pr['totalTokens']:,} tokens, "
                      f"~${pr['totalCost']:,.2f}")
    if not report["blocks"]:
        console.print("No usage in this range.", style="yellow")


def render_models(report: dict[str, Any], console: Console, *, breakdown: bool) -> None:
    compact = console.width < COMPACT_BELOW
    cols = [("Model", "left"), ("Requests", "right"), *_token_columns(compact)]
    if not compact:
        cols += [("Avg ms", "right"), ("From", "left")]
    t = _table(console, "Claude Code usage by model", cols)
    for e in report["models"]:
        row = [short_model(e["modelName"]), _n(e["requests"]),
               *_token_cells(e, compact, unpriced=bool(e.get("missingPricing")))]
        if not compact:
            src = e["sources"]
            origin = "+".join(k for k in ("telemetry", "transcript") if src[k])
            row += ["-" if e["avgDurationMs"] is None else f"{e['avgDurationMs']:,.0f}", origin]
        t.add_row(*row)
    console.print(t)
    _unpriced_note(console, report["totals"])


def render_tools(report: dict[str, Any], console: Console, *, breakdown: bool) -> None:
    compact = console.width < COMPACT_BELOW
    cols = [("Tool", "left"), ("Calls", "right"), ("Failed", "right"), ("Success", "right")]
    if not compact:
        cols += [("Rejected", "right"), ("Avg ms", "right"), ("Sessions", "right")]
    t = _table(console, "Claude Code tool use", cols)
    for e in report["tools"]:
        rate = "-" if e["successRate"] is None else f"{e['successRate']:.0%}"
        row = [e["toolName"], _n(e["calls"]), _n(e["failures"]), rate]
        if not compact:
            row += [_n(e["rejected"]),
                    "-" if e["avgDurationMs"] is None else f"{e['avgDurationMs']:,.0f}",
                    _n(e["sessions"])]
        t.add_row(*row)
    console.print(t)
    if any(e["transcriptCalls"] for e in report["tools"]):
        console.print("Calls read from transcripts have no outcome: success and duration "
                      "come from telemetry only.", style="dim")


def render(name: str, report: dict[str, Any], console: Console, *, breakdown: bool) -> None:
    if "dimension" in report or name == "waste":  # attribution (report/attributed.py)
        from ccotel.report.attributed import render_attributed

        render_attributed(name, report, console, breakdown=breakdown)
    elif name in ("daily", "weekly", "monthly"):
        label = {"daily": "Date", "weekly": "Week of", "monthly": "Month"}[name]
        render_grouped(report, name, label, f"Claude Code usage, {name}", console,
                       breakdown=breakdown)
    elif name == "session":
        render_grouped(report, "session", "Session", "Claude Code usage by session", console,
                       breakdown=breakdown, first_cell=_session_cell)
    elif name == "projects":
        render_grouped(report, "projects", "Project", "Claude Code usage by project", console,
                       breakdown=breakdown, first_cell=lambda e: e["project"])
    elif name == "users":
        render_grouped(report, "users", "User", "Claude Code usage by user", console,
                       breakdown=breakdown, first_cell=lambda e: e["user"])
    elif name == "blocks":
        render_blocks(report, console, breakdown=breakdown)
    elif name == "models":
        render_models(report, console, breakdown=breakdown)
    elif name == "tools":
        render_tools(report, console, breakdown=breakdown)
    else:  # pragma: no cover - the CLI only offers the names above
        raise ValueError(name)


def _session_cell(e: dict[str, Any]) -> str:
    project = (e.get("projectPath") or "").rstrip("/").rsplit("/", 1)[-1]
    last = (e.get("lastActivity") or "")[:10]
    head = e["sessionId"][:8]
    return f"{head} {project}\n{last}" if project else f"{head}\n{last}"

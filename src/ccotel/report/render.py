"""Report objects (from `data.py`) as rich tables that fit the terminal, dropping nothing
silently.

Each table is laid out in the first of these that fits the console's width (as ccusage's
responsive tables do): every column with exact numbers; every column with compact numbers
(`1.2M`); then, still compact, without the columns of least value, group by group (cache
columns first). A column left out is named in a note below the table, with `--wide`, which
prints every column with exact numbers whatever the width. The JSON always has everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

_DATED = re.compile(r"-\d{8}$")


def short_model(name: str) -> str:
    """`claude-sonnet-4-5-20250929` -> `sonnet-4-5`: the part that tells models apart."""
    s = name.removeprefix("claude-")
    return _DATED.sub("", s)


@dataclass(frozen=True)
class Num:
    """A number cell, formatted exactly or compactly by the layout that prints it."""

    value: float
    usd: bool = False
    mark: str = ""  # `*`: no price known
    ms: bool = False  # a duration: one format, never compacted

    def text(self, compact: bool) -> str:
        v = self.value
        if self.ms:
            return f"{v:,.0f}"
        if self.usd:
            body = f"${_compact(v)}" if compact and v >= 10_000 else f"${v:,.2f}"
        else:
            body = _compact(v) if compact else f"{int(v):,}"
        return body + self.mark


def _compact(v: float) -> str:
    """1234 -> 1,234; 12345 -> 12.3K; 1234567 -> 1.2M (ccusage's compact units)."""
    for limit, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= limit and abs(v) >= 10_000:
            return f"{v / limit:.1f}{unit}"
    return f"{int(v):,}"


Cell = str | Text | Num | None


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool = False
    drop: int = 0  # 0: always shown; 1 is left out first, then 2, ...


@dataclass
class Sheet:
    """A table before layout: columns, rows of cells by column name, sections, notes."""

    title: str
    columns: list[Column]
    rows: list[tuple[dict[str, Cell], str]] = field(default_factory=list)  # (cells, style)

    def add(self, cells: dict[str, Cell], style: str = "") -> None:
        self.rows.append((cells, style))

    def section(self) -> None:
        self.rows.append(({}, "section"))


# The longest word a text column keeps whole (longer ones fold): as long as the layout fits,
# then shorter, once every column that may go has gone.
FOLD = 16
NARROW_FOLDS = (10, 6)


def _layouts(sheet: Sheet) -> Iterator[tuple[list[Column], bool, int]]:
    """Candidate layouts, widest first: (columns shown, compact numbers, longest word a
    text column keeps whole)."""
    yield sheet.columns, False, FOLD
    yield sheet.columns, True, FOLD
    for level in sorted({c.drop for c in sheet.columns if c.drop}):
        yield [c for c in sheet.columns if not c.drop or c.drop > level], True, FOLD
    for fold in NARROW_FOLDS:
        yield [c for c in sheet.columns if not c.drop], True, fold


def _plain(v: Cell, compact: bool) -> str | Text:
    return v.text(compact) if isinstance(v, Num) else ("" if v is None else v)


def _min_width(sheet: Sheet, c: Column, compact: bool, fold: int = FOLD) -> int:
    """A numeric column never cuts a number or its header; a text column may wrap, but
    between words, and folds only words longer than `fold` characters."""
    texts = [str(_plain(cells.get(c.name), compact)) for cells, _ in sheet.rows]
    if c.numeric:
        return max([len(c.name), *map(len, texts)])
    words = [w for t in [c.name, *texts] for w in t.split()]
    return min(max(map(len, words), default=1), fold)


def _table(sheet: Sheet, columns: list[Column], compact: bool, fold: int = FOLD) -> Table:
    t = Table(title=sheet.title, title_justify="left", show_footer=False,
              header_style="bold cyan", expand=False)
    for c in columns:
        t.add_column(c.name, justify="right" if c.numeric else "left", no_wrap=c.numeric,
                     overflow="fold", min_width=_min_width(sheet, c, compact, fold))
    for cells, style in sheet.rows:
        if style == "section":
            t.add_section()
            continue
        row: list[str | Text] = []
        for c in columns:
            text = _plain(cells.get(c.name), compact)
            row.append(Text(text, style=style) if style and isinstance(text, str) else text)
        t.add_row(*row)
    return t


def _needs(console: Console, t: Table) -> Measurement:
    """The table's own width range, not clipped to the console's."""
    return Measurement.get(console, console.options.update_width(1_000_000), t)


def show(sheet: Sheet, console: Console, *, wide: bool = False) -> None:
    """Print `sheet` in the first layout that fits; name what was left out, if anything."""
    if wide:
        t = _table(sheet, sheet.columns, False)
        console.width = max(console.width, _needs(console, t).maximum)
        console.print(t)
        return
    for columns, compact, fold in _layouts(sheet):
        t = _table(sheet, columns, compact, fold)
        if _needs(console, t).minimum <= console.width:
            break
    console.print(t)
    left_out = [c.name for c in sheet.columns if c not in columns]
    notes = []
    if left_out:
        notes.append(f"Left out to fit {console.width} columns: {', '.join(left_out)}.")
    if compact:
        notes.append("Numbers rounded (K thousand, M million).")
    if notes:
        notes.append("--wide (or --json) shows every column, exactly.")
        console.print(" ".join(notes), style="yellow" if left_out else "dim")


# -- the reports ----------------------------------------------------------------------------

_TOKENS = [Column("Input", True), Column("Output", True), Column("Cache Create", True, 1),
           Column("Cache Read", True, 1), Column("Total Tokens", True, 2),
           Column("Cost (USD)", True)]


def _token_cells(e: dict[str, Any], cost_key: str = "totalCost",
                 unpriced: bool = False) -> dict[str, Cell]:
    total = e.get("totalTokens", e["inputTokens"] + e["outputTokens"]
                  + e["cacheCreationTokens"] + e["cacheReadTokens"])
    return {"Input": Num(e["inputTokens"]), "Output": Num(e["outputTokens"]),
            "Cache Create": Num(e["cacheCreationTokens"]),
            "Cache Read": Num(e["cacheReadTokens"]), "Total Tokens": Num(total),
            "Cost (USD)": Num(e[cost_key], usd=True, mark="*" if unpriced else "")}


def range_text(report: dict[str, Any]) -> str:
    """The range a report covered, as its title says it: dates in its time zone."""
    r = report.get("range") or {}
    if not r:
        return ""
    since, until = r.get("since"), r.get("until")
    if not since and not until:
        span = "all dates"
    else:
        span = f"{since or 'first data'} → {until or 'today'}"
    return f" · {span} ({r.get('timezone', 'UTC')})"


def render_grouped(report: dict[str, Any], key: str, label: str, title: str,
                   console: Console, *, breakdown: bool, wide: bool = False,
                   first_cell: Callable[[dict[str, Any]], str] | None = None) -> None:
    """daily / weekly / monthly / session / projects / users: one row per group, its
    models listed (and, with --breakdown, a row per model), a total row at the end."""
    sheet = Sheet(title + range_text(report), [Column(label), Column("Models"), *_TOKENS])
    entries = report[key]
    for e in entries:
        unpriced = any(b.get("missingPricing") for b in e["modelBreakdowns"])
        models = "\n".join(short_model(m) for m in e["modelsUsed"]) or "-"
        cell = first_cell(e) if first_cell else str(e.get("period", ""))
        sheet.add({label: cell, "Models": models, **_token_cells(e, unpriced=unpriced)})
        if breakdown:
            for b in e["modelBreakdowns"]:
                sheet.add({label: f"  └ {short_model(b['modelName'])}",
                           **_token_cells(b, "cost", bool(b.get("missingPricing")))}, "dim")
    tot = report["totals"]
    sheet.section()
    sheet.add({label: "Total", **_token_cells(tot, unpriced="unpricedModels" in tot)}, "bold")
    show(sheet, console, wide=wide)
    _unpriced_note(console, tot)
    if not entries:
        console.print("No usage in this range.", style="yellow")


def _unpriced_note(console: Console, totals: dict[str, Any]) -> None:
    if totals.get("unpricedModels"):
        console.print("* no price known for " + ", ".join(totals["unpricedModels"])
                      + ": their cost counts as $0", style="yellow")


def render_blocks(report: dict[str, Any], console: Console, *, breakdown: bool,
                  wide: bool = False) -> None:
    sheet = Sheet("Claude Code usage by 5-hour window" + range_text(report),
                  [Column("Window start"), Column("Status"), Column("Models"), *_TOKENS])
    active = None
    for b in report["blocks"]:
        start = b["startTime"][:16].replace("T", " ")
        if b["isGap"]:
            sheet.add({"Window start": start, "Status": "idle"}, "dim")
            continue
        tc = b["tokenCounts"]
        cells = {"inputTokens": tc["inputTokens"], "outputTokens": tc["outputTokens"],
                 "cacheCreationTokens": tc["cacheCreationInputTokens"],
                 "cacheReadTokens": tc["cacheReadInputTokens"],
                 "totalTokens": b["totalTokens"], "totalCost": b["costUSD"]}
        status = Text("ACTIVE", style="bold green") if b["isActive"] else Text("done")
        unpriced = any(m.get("missingPricing") for m in b.get("modelBreakdowns", []))
        sheet.add({"Window start": start, "Status": status,
                   "Models": "\n".join(short_model(m) for m in b["models"]),
                   **_token_cells(cells, unpriced=unpriced)})
        if breakdown:
            for m in b.get("modelBreakdowns", []):
                sheet.add({"Window start": f"  └ {short_model(m['modelName'])}",
                           **_token_cells(m, "cost")}, "dim")
        if b["isActive"]:
            active = b
    show(sheet, console, wide=wide)
    if active and active["burnRate"]:
        br, pr = active["burnRate"], active["projection"]
        console.print(f"Active window: {br['tokensPerMinute']:,.0f} tokens/min, "
                      f"${br['costPerHour']:,.2f}/hour; by its end "
                      f"({pr['remainingMinutes']} min left): ~{pr['totalTokens']:,} tokens, "
                      f"~${pr['totalCost']:,.2f}")
    if not report["blocks"]:
        console.print("No usage in this range.", style="yellow")


def render_models(report: dict[str, Any], console: Console, *, breakdown: bool,
                  wide: bool = False) -> None:
    sheet = Sheet("Claude Code usage by model" + range_text(report),
                  [Column("Model"), Column("Requests", True), *_TOKENS,
                   Column("Avg ms", True, 1), Column("From", drop=1)])
    for e in report["models"]:
        src = e["sources"]
        sheet.add({"Model": short_model(e["modelName"]), "Requests": Num(e["requests"]),
                   **_token_cells(e, unpriced=bool(e.get("missingPricing"))),
                   "Avg ms": "-" if e["avgDurationMs"] is None else Num(e["avgDurationMs"],
                                                                        ms=True),
                   "From": "+".join(k for k in ("telemetry", "transcript") if src[k])})
    show(sheet, console, wide=wide)
    _unpriced_note(console, report["totals"])


def render_tools(report: dict[str, Any], console: Console, *, breakdown: bool,
                 wide: bool = False) -> None:
    sheet = Sheet("Claude Code tool use" + range_text(report),
                  [Column("Tool"), Column("Calls", True), Column("Failed", True),
                   Column("Success", True), Column("Rejected", True, 2),
                   Column("Avg ms", True, 1), Column("Sessions", True, 1)])
    for e in report["tools"]:
        sheet.add({"Tool": e["toolName"], "Calls": Num(e["calls"]),
                   "Failed": Num(e["failures"]),
                   "Success": "-" if e["successRate"] is None else f"{e['successRate']:.0%}",
                   "Rejected": Num(e["rejected"]),
                   "Avg ms": "-" if e["avgDurationMs"] is None else Num(e["avgDurationMs"],
                                                                        ms=True),
                   "Sessions": Num(e["sessions"])})
    show(sheet, console, wide=wide)
    if any(e["transcriptCalls"] for e in report["tools"]):
        console.print("Calls read from transcripts have no outcome: success and duration "
                      "come from telemetry only.", style="dim")


def render(name: str, report: dict[str, Any], console: Console, *, breakdown: bool,
           wide: bool = False) -> None:
    if "dimension" in report or name == "waste":  # attribution (report/attributed.py)
        from ccotel.report.attributed import render_attributed

        render_attributed(name, report, console, breakdown=breakdown, wide=wide)
    elif name in ("daily", "weekly", "monthly"):
        label = {"daily": "Date", "weekly": "Week of", "monthly": "Month"}[name]
        render_grouped(report, name, label, f"Claude Code usage, {name}", console,
                       breakdown=breakdown, wide=wide)
    elif name == "session":
        render_grouped(report, "session", "Session", "Claude Code usage by session", console,
                       breakdown=breakdown, wide=wide, first_cell=_session_cell)
    elif name == "projects":
        render_grouped(report, "projects", "Project", "Claude Code usage by project", console,
                       breakdown=breakdown, wide=wide, first_cell=lambda e: e["project"])
    elif name == "users":
        render_grouped(report, "users", "User", "Claude Code usage by user", console,
                       breakdown=breakdown, wide=wide, first_cell=lambda e: e["user"])
    elif name == "blocks":
        render_blocks(report, console, breakdown=breakdown, wide=wide)
    elif name == "models":
        render_models(report, console, breakdown=breakdown, wide=wide)
    elif name == "tools":
        render_tools(report, console, breakdown=breakdown, wide=wide)
    else:  # pragma: no cover - the CLI only offers the names above
        raise ValueError(name)


def _session_cell(e: dict[str, Any]) -> str:
    project = (e.get("projectPath") or "").rstrip("/").rsplit("/", 1)[-1]
    last = (e.get("lastActivity") or "")[:10]
    head = e["sessionId"][:8]
    return f"{head} {project}\n{last}" if project else f"{head}\n{last}"

"""`ccotel report summary` as a terminal table, titled with the range it covered (UTC)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render_summary(s: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    t = Table(show_header=False)
    t.add_column("metric", style="bold")
    t.add_column("value", justify="right")
    tok = s["tokens"]
    rows = [
        ("Cost", f"${s['cost_usd']:,.4f}"),
        ("Sessions", f"{s['sessions']:,}"),
        ("Users", f"{s['users']:,}"),
        ("API requests", f"{s['requests']:,}"),
        ("API errors", f"{s['errors']:,}"),
        ("Tool calls", f"{s['tool_calls']:,} ({s['tool_failures']:,} failed)"),
        ("Input tokens", f"{tok['input']:,}"),
        ("Output tokens", f"{tok['output']:,}"),
        ("Cache read tokens", f"{tok['cacheRead']:,}"),
        ("Cache write tokens", f"{tok['cacheCreation']:,}"),
        ("Avg response",
         "-" if s["avg_response_ms"] is None else f"{s['avg_response_ms']:,.0f} ms"),
        ("Lines added / removed", f"{s['lines_added']:,} / {s['lines_removed']:,}"),
        ("Commits / PRs", f"{s['commits']:,} / {s['pull_requests']:,}"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    # Above the table, not as its title: a title wraps to the table's narrow width.
    console.print(f"Claude Code · {_when(s['from'])} → {_when(s['to'])} UTC", style="bold")
    console.print(t)


def _when(iso: str) -> str:
    """`2026-12-06T06:45:36.186Z` -> `2026-12-06 06:45:36`: the range, readable."""
    return iso.replace("T", " ").removesuffix("Z").split(".")[0]

"""`ccotel live`: a terminal view of "will I run out, and when?", refreshed every second.

Fed by the running server's limits ledger (`GET /api/v1/limits`: every machine, official
limits when the statusline sent them), or, when no server runs, by this machine's
transcripts read incrementally (ccotel's own 5-hour block only). Per account: the current
block's cost and tokens, burn rate ($/h, tokens/min), projection to the block's end, the
official 5-hour and 7-day usage with pace and projected exhaustion, active sessions and the
split per model. A server that goes away leaves the last view on screen, marked stale,
until it answers again (found anew through server.json each time, so a restart on other
ports is picked up).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ccotel.claude.statusline import duration, level
from ccotel.settings import DataDir

BAR = 24  # cells of a usage bar


@dataclass
class Frame:
    """What one refresh got: the ledger's users, or why there is nothing new."""

    users: list[dict[str, Any]] = field(default_factory=list)
    origin: str = ""
    error: str | None = None


class ServerSource:
    """The ledger of the server at `url`, or of the one running on `data_dir`."""

    def __init__(self, url: str | None, data_dir: Path | None, user: str | None,
                 token: str | None) -> None:
        self.url, self.data_dir, self.user, self.token = url, data_dir, user, token

    def _client(self) -> Any:
        """The one client for the server: `--url`, else the one running on the data dir."""
        from ccotel.client import Client

        if self.url:
            return Client({"ui": self.url.rstrip("/")}, self.token, timeout=2.0)
        from ccotel.settings import default_data_dir

        return Client.find(self.data_dir or default_data_dir(), self.token, timeout=2.0)

    def fetch(self) -> Frame:
        try:
            client = self._client()
        except Exception as exc:  # a server.json being rewritten: next second
            return Frame(origin="server", error=f"cannot read the server's address: {exc}")
        if client is None:
            return Frame(origin="server", error="no ccotel server is running: waiting for one")
        url = client.urls["ui"]
        with client:
            try:
                body = client.get("/api/v1/limits", {"user": self.user})
            except Exception as exc:  # shown, and retried next second
                return Frame(origin=url, error=f"{url} does not answer "
                                               f"({type(exc).__name__}): retrying")
        if not isinstance(body, dict):
            return Frame(origin=url, error=f"{url} answered no limits object: retrying")
        return Frame(users=list(body.get("users") or []), origin=url)


class TranscriptSource:
    """This machine's transcripts, read from where the last refresh stopped: the requests
    of the last 10 hours make ccotel's own 5-hour block (no official limits here)."""

    def __init__(self, roots: list[Path] | None = None) -> None:
        from ccotel.claude.pricing import Pricer
        from ccotel.importer.files import default_roots

        self.roots = roots if roots is not None else default_roots()
        self.pricer = Pricer()
        self.offsets: dict[Path, int] = {}
        self.rows: dict[str, tuple[Any, ...]] = {}  # event_key -> block row

    def _read(self, now: datetime) -> None:
        from ccotel.importer.files import complete_lines, discover
        from ccotel.importer.transcript import MalformedLine, parse_line, usage_total

        horizon = now - timedelta(hours=10)
        for path in discover(self.roots):
            try:
                st = path.stat()
            except OSError:
                continue
            start = self.offsets.get(path, 0)
            if st.st_size < start:
                start = 0  # rewritten
            if st.st_size == start or st.st_mtime < horizon.replace(tzinfo=UTC).timestamp():
                self.offsets[path] = st.st_size if start == 0 else start
                continue
            try:
                for offset, line in complete_lines(path, start):
                    start = offset
                    if b'usage"' not in line:
                        continue
                    try:
                        parsed = parse_line(line, self.pricer)
                    except MalformedLine:
                        continue
                    for r in parsed.rows:
                        if r["event_name"] != "api_request":
                            continue
                        ts = datetime.fromtimestamp(r["time_unix_nano"] / 1e9, UTC).replace(
                            tzinfo=None)
                        old = self.rows.get(r["event_key"])
                        if ts >= horizon and (old is None or usage_total(r) >= old[8]):
                            self.rows[r["event_key"]] = (
                                ts, r["model"], r["input_tokens"], r["output_tokens"],
                                r["cache_creation_tokens"], r["cache_read_tokens"],
                                r["cost_usd"], r["session_id"], usage_total(r))
            except OSError:
                continue
            self.offsets[path] = start
        for key in [k for k, r in self.rows.items() if r[0] < horizon]:
            del self.rows[key]

    def fetch(self) -> Frame:
        from ccotel.limits.ledger import block_of, block_window

        now = datetime.now(UTC).replace(tzinfo=None)
        self._read(now)
        block = block_of(sorted(self.rows.values(), key=lambda r: r[0]), now)
        five = None
        if block is not None:
            five = block_window(block, datetime.fromtimestamp(block["end_epoch"], UTC)
                                .replace(tzinfo=None))
        entry = {"user": "this machine (transcripts)", "hosts": [socket.gethostname()],
                 "five_hour": five, "seven_day": None, "block": block}
        return Frame(users=[entry], origin="transcripts")


# -- drawing -----------------------------------------------------------------------------

def _money(v: Any) -> str:
    return "—" if v is None else f"${v:,.2f}"


def _tokens(v: Any) -> str:
    if v is None:
        return "—"
    v = float(v)
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= size:
            return f"{v / size:.1f}{unit}"
    return f"{v:.0f}"


def _clock(iso: str | None) -> str:
    if not iso:
        return "—"
    t = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return t.strftime("%H:%M") if t.date() == datetime.now().astimezone().date() \
        else t.strftime("%a %H:%M")


def _window_row(table: Table, label: str, w: dict[str, Any] | None, now: float) -> None:
    if not w:
        return
    if w.get("source") == "block":
        table.add_row(label, Text("no official numbers (API key): the block above is "
                                  "ccotel's own", style="dim"))
        return
    used = float(w.get("used_percentage") or 0)
    colour = level(used)
    filled = round(min(max(used, 0), 100) / 100 * BAR)
    line = Text.assemble(("█" * filled, colour), ("░" * (BAR - filled), "grey39"),
                         (f" {used:5.1f}%", colour))
    pace = w.get("pace")
    if pace is not None:
        line.append(f"  pace {pace:.2f}x", style="green" if pace <= 1 else
                    "yellow" if pace <= 1.2 else "red")
    line.append(f"  resets in {duration(w['resets_at_epoch'] - now)}", style="dim")
    if w.get("projected_exhaustion"):
        line.append(f"  runs out at {_clock(w['projected_exhaustion'])}", style="bold red")
    if w.get("cost_per_percent") is not None:
        line.append(f"  1% ≈ {_money(w['cost_per_percent'])}", style="dim")
    table.add_row(label, line)


def _user_panel(u: dict[str, Any], now: float, stale: bool) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    block = u.get("block")
    if block:
        burn = block.get("burnRate") or {}
        proj = block.get("projection") or {}
        end = block.get("end_epoch")
        table.add_row("Block", Text.assemble(
            (f"{_money(block.get('costUSD'))}", "bold"),
            f"  {_tokens(block.get('totalTokens'))} tokens",
            (f"  {_clock(block.get('startTime'))} → {_clock(block.get('endTime'))}", "dim"),
            (f"  ({duration(end - now)} left)" if end else "", "dim")))
        table.add_row("Burn rate", Text.assemble(
            f"{_money(burn.get('costPerHour'))}/h",
            f"  {_tokens(burn.get('tokensPerMinute'))} tokens/min"))
        table.add_row("At block end", Text.assemble(
            (_money(proj.get("totalCost")), "bold yellow"),
            f"  {_tokens(proj.get('totalTokens'))} tokens"))
    else:
        table.add_row("Block", Text("no request in the last 5 hours", style="dim"))
    _window_row(table, "5-hour limit", u.get("five_hour"), now)
    _window_row(table, "7-day limit", u.get("seven_day"), now)
    if block:
        table.add_row("Sessions", f"{block.get('activeSessions', 0)} active, "
                                  f"{block.get('sessions', 0)} in this block")
        models = block.get("modelBreakdowns") or []
        total = sum(m.get("cost") or 0 for m in models) or 1
        table.add_row("Models", Text("  ".join(
            f"{m['modelName']} {_money(m.get('cost'))} ({(m.get('cost') or 0) / total:.0%})"
            for m in models[:4]) or "—"))
    hosts = ", ".join(u.get("hosts") or [])
    name = str(u.get("user"))
    name = name if len(name) <= 40 else name[:16] + "…"  # an anonymous user.id hash
    title = Text.assemble((name, "bold cyan"), (f"  {hosts}" if hosts else "", "dim"))
    return Panel(table, title=title, title_align="left",
                 border_style="grey50" if stale else "cyan")


def render(frame: Frame, shown: Frame | None, now: float | None = None) -> RenderableType:
    """The screen: the newest users (`shown`, the last good frame, when this one failed)
    under a header that says where they come from and whether they are fresh."""
    now = time.time() if now is None else now
    stamp = datetime.now().astimezone().strftime("%H:%M:%S")
    header = Text.assemble(("ccotel live", "bold"), f"  {shown.origin if shown else frame.origin}",
                           (f"  {stamp}", "dim"), ("  Ctrl-C quits", "dim"))
    parts: list[RenderableType] = [header]
    if frame.error:
        parts.append(Text(frame.error, style="bold yellow"))
    users = (shown.users if shown else []) if frame.error else frame.users
    if not users and not frame.error:
        parts.append(Text("no usage in the last 5 hours", style="dim"))
    parts.extend(_user_panel(u, now, stale=frame.error is not None) for u in users)
    return Group(*parts)


def run(source: Any, *, refresh_s: float = 1.0, once: bool = False,
        console: Console | None = None) -> None:
    """Draw until Ctrl-C (or one frame with `once`)."""
    console = console or Console()
    last_good: Frame | None = None
    frame = source.fetch()
    if once:
        console.print(render(frame, None))
        return
    with Live(render(frame, None), console=console, auto_refresh=False, screen=False,
              redirect_stdout=False, transient=False) as live:
        try:
            while True:
                if frame.error is None:
                    last_good = frame
                live.update(render(frame, last_good), refresh=True)
                time.sleep(refresh_s)
                frame = source.fetch()
        except KeyboardInterrupt:
            pass


@click.command("live")
@click.option("--user", help="One account (user.email, or the name the statusline was "
                             "given); all of them by default.")
@click.option("--url", envvar="CCOTEL_URL",
              help="Dashboard URL of a ccotel server (another machine's) [env: CCOTEL_URL; "
                   "default: the one running here, else this machine's transcripts].")
@click.option("--transcripts", is_flag=True,
              help="Read this machine's transcripts even when a server runs.")
@click.option("--refresh", type=click.FloatRange(0.2, 60), default=1.0, show_default=True,
              help="Seconds between refreshes.")
@click.option("--once", is_flag=True, help="Print one view and exit.")
@click.option("--data-dir", type=DataDir(create=False), envvar="CCOTEL_DATA_DIR",
              help="Data dir of the local server [env: CCOTEL_DATA_DIR].")
def live_command(user: str | None, url: str | None, transcripts: bool, refresh: float,
                 once: bool, data_dir: Path | None) -> None:
    """A live view of the current 5-hour block and plan limits: cost, tokens, burn rate,
    projection, official usage with pace, active sessions, models. Ctrl-C quits."""
    import os

    from ccotel.claude.statusline import server_url

    source: Any
    local = None if url or transcripts else server_url(str(data_dir) if data_dir else None)
    if transcripts or (url is None and local is None):
        source = TranscriptSource()
    else:
        source = ServerSource(url, data_dir, user, os.environ.get("CCOTEL_TOKEN"))
    run(source, refresh_s=refresh, once=once)

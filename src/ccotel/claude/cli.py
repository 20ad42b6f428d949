"""`ccotel statusline` and `ccotel setup claude`: the commands Claude Code's settings name."""

from __future__ import annotations

from pathlib import Path

import click

from ccotel.claude import statusline as sl


@click.command("statusline")
@click.option("--format", "fmt", default=sl.DEFAULT_FORMAT, show_default=True,
              help="Segments to show, comma-separated, in order.")
@click.option("--url", envvar="CCOTEL_URL",
              help="The ccotel server to send snapshots to (another machine's, for totals "
                   "across machines) [env: CCOTEL_URL; default: the one running here].")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="CCOTEL_DATA_DIR",
              help="Data dir of the local server [env: CCOTEL_DATA_DIR].")
@click.option("--user", envvar="CCOTEL_USER",
              help="Account name for snapshots whose session sends no telemetry "
                   "[env: CCOTEL_USER].")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR).")
@click.option("--no-send", is_flag=True, help="Print the line only; send no snapshot.")
def statusline_command(fmt: str, url: str | None, data_dir: Path | None, user: str | None,
                       no_color: bool, no_send: bool) -> None:
    """Claude Code's statusLine command: reads its JSON on stdin, prints one line (model,
    costs, 5-hour and 7-day limits with pace, context, repo and branch) and sends a
    snapshot to the ccotel server in the background. Never fails: exit status 0."""
    sl.statusline(fmt=fmt, url=url, data_dir=str(data_dir) if data_dir else None,
                  user=user, no_color=no_color, no_send=no_send)

"""`ccotel demo`: fill a store or a running server with a synthetic team's telemetry."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click


@click.command("demo")
@click.option("--users", type=click.IntRange(1, 10_000), default=8, show_default=True,
              help="People on the synthetic team.")
@click.option("--days", type=click.IntRange(1, 3650), default=7, show_default=True,
              help="Days of history, ending now.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Same seed, same team and sessions.")
@click.option("--url", help="Send over OTLP/HTTP to this server (e.g. http://127.0.0.1:4318) "
              "instead of writing a data dir.")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="CCOTEL_DATA_DIR",
              help="Store to fill when no --url [default: the user data dir; when a "
              "'ccotel serve' runs on it, its OTLP/HTTP port is used].")
@click.option("--token", envvar="CCOTEL_TOKEN", help="Bearer token for --url.")
@click.option("--bulk", is_flag=True, help="Append straight into the data dir's tables "
              "(fastest, for large demos; skips the decoder and duplicate checks).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def demo_command(users: int, days: int, seed: int, url: str | None, data_dir: Path | None,
                 token: str | None, bulk: bool, as_json: bool) -> None:
    """Generate realistic Claude Code telemetry: several users, models and tools, failures,
    API errors, sessions across days. Fills a data dir or a running server."""
    from ccotel.demo.generate import Spec
    from ccotel.demo.load import fill_data_dir, send, write_bulk
    from ccotel.running import find_running
    from ccotel.settings import default_data_dir

    spec = Spec(users=users, days=days, seed=seed)

    def progress(line: str) -> None:
        if not as_json:
            click.echo(f"  {line}", err=True)

    if url is None:
        data_dir = data_dir or default_data_dir()
        info = find_running(data_dir)
        if info is not None:
            # The server holds the store's lock: go through its front door instead.
            host = info["host"] if info["host"] not in ("0.0.0.0", "::") else "127.0.0.1"
            url = f"http://{host}:{info['http_port']}"
            token = token or os.environ.get("CCOTEL_TOKEN")
    try:
        if url is not None:
            target = url
            counts = send(url, spec, token=token, progress=progress)
        elif bulk:
            from ccotel.store import schema

            target = str(data_dir)
            con = schema.connect(data_dir)  # type: ignore[arg-type]
            try:
                counts = write_bulk(con, spec, progress=progress)
            finally:
                con.close()
        else:
            target = str(data_dir)
            counts = fill_data_dir(data_dir, spec, progress=progress)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - shown to the user with what to do
        hint = ("is 'ccotel serve' running there?" if url else
                "is another process using this data dir? use --url to send to its server")
        raise click.ClickException(f"demo failed: {exc} ({hint})") from None
    result = {"target": target, "users": users, "days": days, "events": counts.events,
              "points": counts.points, "spans": counts.spans}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"wrote {counts.events:,} events, {counts.points:,} metric points and "
                   f"{counts.spans:,} spans for {users} users over {days} days to {target}")

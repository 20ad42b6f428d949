"""`ccotel demo`: fill a store or a running server with a synthetic team's telemetry."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ccotel.settings import options


@click.command("demo")
@click.option("--users", type=click.IntRange(1, 10_000), default=8, show_default=True,
              help="People on the synthetic team.")
@click.option("--days", type=click.IntRange(1, 3650), default=7, show_default=True,
              help="Days of history, ending now.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True,
              help="Same seed, same team and sessions.")
@click.option("--url", help="Send over OTLP/HTTP to this server (e.g. http://127.0.0.1:4318) "
              "instead of writing a data dir.")
@options("data-dir", "token", "tls-cert", overrides={
    "data-dir": {"help": "Store to fill when no --url [default: the user data dir; when a "
                 "'ccotel serve' runs on it, its OTLP/HTTP port is used]. [env: CCOTEL_DATA_DIR]"},
    "tls-cert": {"help": "PEM certificate to trust for an https --url (a running server's "
                 "own is found in its data dir). [env: CCOTEL_TLS_CERT]"}})
@click.option("--bulk", is_flag=True, help="Append straight into the data dir's tables "
              "(fastest, for large demos; skips the decoder and duplicate checks).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def demo_command(users: int, days: int, seed: int, url: str | None, data_dir: Path | None,
                 token: str | None, tls_cert: Path | None, bulk: bool, as_json: bool) -> None:
    """Generate realistic Claude Code telemetry: several users, models and tools, failures,
    API errors, sessions across days. Fills a data dir or a running server."""
    from ccotel.client import Client
    from ccotel.demo.generate import Spec
    from ccotel.demo.load import fill_data_dir, send, write_bulk
    from ccotel.settings import default_data_dir
    from ccotel.store.files import private_umask

    spec = Spec(users=users, days=days, seed=seed)

    def progress(line: str) -> None:
        if not as_json:
            click.echo(f"  {line}", err=True)

    data_dir = data_dir or default_data_dir()
    # A server running on the data dir holds the store's lock: go through its front door.
    client = (Client.for_otlp_url(url, token, tls_cert) if url is not None
              else Client.find(data_dir, token))
    if client is not None:
        target = client.urls["http"]
        with client:
            counts = send(client, spec, progress=progress)
    elif bulk:
        from ccotel.store import COMMAND_MEMORY_LIMIT, schema
        from ccotel.store.writer import Writer

        target = str(data_dir)
        with private_umask():
            writer = Writer(schema.connect(data_dir, memory_limit=COMMAND_MEMORY_LIMIT))
            try:
                counts = write_bulk(writer, spec, progress=progress)
            finally:
                writer.close()
    else:
        target = str(data_dir)
        with private_umask():
            counts = fill_data_dir(data_dir, spec, progress=progress)
    result = {"target": target, "users": users, "days": days, "events": counts.events,
              "points": counts.points, "spans": counts.spans}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"wrote {counts.events:,} events, {counts.points:,} metric points and "
                   f"{counts.spans:,} spans for {users} users over {days} days to {target}")

"""`ccotel export`: a table of the store as CSV, Parquet or JSON lines, to a file or stdout.

From the running server's export API when there is one (it holds the store's lock),
else straight from the store; either way DuckDB writes the file, in bounded memory.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import click

from ccotel.settings import reader_options
from ccotel.store.export import FORMATS, KINDS

# DuckDB's limit for a local export: it spills past it, so RSS stays bounded for any size.
MEMORY_LIMIT = "128MB"


@click.command("export")
@click.argument("what", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv (header row), parquet (typed columns) or jsonl (one object a line).")
@click.option("--since", "--from", "since", metavar="WHEN",
              help="Start: RFC 3339, a date (2026-01-31), epoch ms or now-7d "
              "[default: all history].")
@click.option("--until", "--to", "until", metavar="WHEN",
              help="End, exclusive [default: now].")
@click.option("--user", help="user.id or user.email.")
@click.option("--session", help="session.id.")
@click.option("--model", help="Model name.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write [default: stdout].")
@reader_options()
def export_command(what: str, fmt: str, since: str | None, until: str | None,
                   user: str | None, session: str | None, model: str | None,
                   output: Path | None, data_dir: Path | None, token: str | None) -> None:
    """Export events, requests, sessions, daily, tools or repos (per project) as a file:
    the same range, filters and totals as `ccotel report summary`."""
    from ccotel.client import Client
    from ccotel.settings import default_data_dir
    from ccotel.store import export

    data_dir = data_dir or default_data_dir()
    params = {"since": since, "until": until, "user": user, "session": session,
              "model": model}
    q = export.parse_query(params)  # a BadQuery is a usage error, shown by the CLI
    if fmt == "parquet" and output is None and sys.stdout.isatty():
        raise click.UsageError("Parquet is binary: give -o FILE or redirect stdout")
    client = Client.find(data_dir, token, timeout=600)
    with _target(output) as sink:
        if client is not None:
            with client:
                client.download(f"/api/v1/export/{what}", {**params, "format": fmt}, sink)
        else:
            _local(data_dir, what, fmt, q, sink)


@contextmanager
def _target(output: Path | None) -> Iterator[BinaryIO]:
    """The output file, written whole or not at all (a temporary name renamed at the
    end), or stdout."""
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(f".{output.name}.part")
    try:
        f = tmp.open("wb")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    try:
        with f:
            yield f
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


def _local(data_dir: Path, what: str, fmt: str, q: Any, sink: BinaryIO) -> None:
    from ccotel.store import export, schema

    con = schema.connect(data_dir, read_only=True, memory_limit=MEMORY_LIMIT)
    directory = Path(tempfile.mkdtemp(prefix="ccotel-export-"))
    try:
        path = directory / f"{what}.{fmt}"
        export.write(con, what, fmt, q, path)
        with path.open("rb") as f:
            shutil.copyfileobj(f, sink, 256 * 1024)
    finally:
        con.close()
        shutil.rmtree(directory, ignore_errors=True)

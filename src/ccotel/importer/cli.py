"""`ccotel import [PATH...]`: load Claude Code transcripts into the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ccotel.settings import default_data_dir, options

# Below this much new data an import takes a second or two: no bar.
PROGRESS_MIN_BYTES = 32 << 20


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was imported as JSON.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar [default: on a terminal, for large imports].")
@click.option("--engine", type=click.Choice(["auto", "duckdb", "python"]), default="auto",
              hidden=True, help="Force one import path (tests compare them).")
@options("data-dir", "token")
def import_command(paths: tuple[Path, ...], as_json: bool, progress: bool | None,
                   engine: str, data_dir: Path | None, token: str | None) -> None:
    """Import Claude Code transcripts (history from before telemetry) into the store.

    PATHS are folders or .jsonl files [default: CLAUDE_CONFIG_DIR, ~/.config/claude/projects,
    ~/.claude/projects]. Re-runs read only what was appended since the last import.
    Requests already received as telemetry are not counted twice. Works with or without
    'ccotel serve' running on the same --data-dir.
    """
    from ccotel import errors
    from ccotel.importer import files
    from ccotel.running import find_running
    from ccotel.store.files import private_umask

    data_dir = data_dir or default_data_dir()
    roots = list(paths) or files.default_roots()
    if not roots:
        raise errors.NotFound(
            "no Claude Code transcripts found in CLAUDE_CONFIG_DIR, ~/.config/claude/projects "
            "or ~/.claude/projects: pass the folder that holds them")
    info = find_running(data_dir)
    rates = _rates_helper(data_dir, info, engine)
    try:
        with private_umask():  # a new store and its WAL are the user's alone
            report, via_server = _import(roots, data_dir, info, token, rates, as_json,
                                         progress, engine)
    finally:
        if rates is not None:
            rates.close()
    if as_json:
        out = report.as_dict()
        out["via"] = "server" if via_server else "store"
        click.echo(json.dumps(out, indent=2))
        return
    _print_report(report, data_dir, via_server=via_server)


def _rates_helper(data_dir: Path, info: dict[str, Any] | None, engine: str) -> Any:
    """For a first import into a new store (read in bulk by DuckDB), a process that loads
    the price tables meanwhile (importer/prices.py); started before anything else."""
    from ccotel.store import DB_FILENAME

    if info is not None or engine == "python" or (data_dir / DB_FILENAME).exists():
        return None
    from ccotel.importer.prices import RatesHelper

    return RatesHelper()


def _import(roots: list[Path], data_dir: Path, info: dict[str, Any] | None,
            token: str | None, rates: Any, as_json: bool, progress: bool | None,
            engine: str) -> tuple[Any, bool]:
    from ccotel.importer.run import ImportReport, plan_files, run_import

    sink = _open_sink(data_dir, info, token, rates)
    try:
        seen, plans = plan_files(roots, sink.file_states())
        report = ImportReport(files_seen=seen)
        pending = sum(p.pending for p in plans)
        show = progress if progress is not None else (
            sys.stderr.isatty() and not as_json and pending >= PROGRESS_MIN_BYTES)
        if show:
            report = _with_bar(plans, sink, report, pending, engine)
        else:
            report = run_import(plans, sink, report=report, engine=engine)  # type: ignore[arg-type]
    finally:
        sink.close()
    return report, info is not None


def _open_sink(data_dir: Path, info: dict[str, Any] | None, token: str | None,
               rates: Any = None) -> Any:
    from ccotel.importer.run import LocalSink, RemoteSink

    if info is not None:
        from ccotel.client import Client

        return RemoteSink(Client.from_info(info, token, timeout=300))
    return LocalSink(data_dir, rates=rates)


def _with_bar(plans: list[Any], sink: Any, report: Any, pending: int, engine: str) -> Any:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from ccotel.importer.run import run_import

    columns = (TextColumn("importing"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("import", total=pending)
        return run_import(plans, sink, report=report, engine=engine,  # type: ignore[arg-type]
                          progress=lambda n: bar.advance(task, n))


def _print_report(r: Any, data_dir: Path, *, via_server: bool) -> None:
    s = r.stored
    where = "the running server" if via_server else str(data_dir)
    click.echo(f"Imported {s.inserted:,} rows ({r.requests:,} request lines, "
               f"{r.tool_uses:,} tool calls read) from {r.files_read:,} of {r.files_seen:,} "
               f"files, {r.bytes_read / 1e6:,.1f} MB, in {r.seconds:.1f} s into {where}.")
    skipped = [(s.duplicates, ("duplicate lines (one response written as several lines, "
                               "or copied by --resume)")),
               (s.sidechain_replays, "sidechain replays of a parent message"),
               (s.in_telemetry, "requests already stored from telemetry"),
               (s.replaced, "stored rows replaced by a more complete copy"),
               (r.synthetic, "<synthetic> lines"), (r.invalid, "lines with empty ids")]
    for n, what in skipped:
        if n:
            click.echo(f"  {n:,} {what}")
    if r.files_restarted:
        click.echo(f"  {r.files_restarted:,} files were truncated or replaced since the last "
                   "import: read again from the start")
    if r.git_sessions:
        click.echo(f"  {r.git_sessions:,} sessions' repo and branch recorded from their "
                   "folders' git")
    if r.partial_lines:
        click.echo(f"  {r.partial_lines:,} files end in an unfinished line (being written?): "
                   "left for the next import")
    if r.malformed_count:
        click.echo(f"{r.malformed_count:,} malformed lines skipped:", err=True)
        for m in r.malformed:
            where = f" at byte {m.offset}" if m.offset is not None else ""
            click.echo(f"  {m.path}{where}: {m.reason}", err=True)
        if r.malformed_count > len(r.malformed):
            click.echo(f"  ... and {r.malformed_count - len(r.malformed):,} more", err=True)
    if r.unpriced_models:
        click.echo("No price known for " + ", ".join(r.unpriced_models)
                   + ": their cost is left empty (reports list them as unpriced).", err=True)

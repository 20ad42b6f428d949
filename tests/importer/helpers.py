"""Shared by the importer and report tests: run the CLI, fake telemetry of known requests,
and a `ccotel serve` in this process with the import and report endpoints wired."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ccotel.claude.pricing import Pricer, TokenCounts
from ccotel.cli import main
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.importer.corpus import Usage


def cli(*args: str, ok: bool = True) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def cli_json(*args: str) -> Any:
    return json.loads(cli(*args, "--json").stdout)


def import_json(data_dir: Path, *paths: Path) -> dict[str, Any]:
    return cli_json("import", *map(str, paths), "--data-dir", str(data_dir))  # type: ignore[no-any-return]


def report(data_dir: Path, name: str = "daily", *extra: str, source: str = "transcript",
           tz: str = "UTC") -> dict[str, Any]:
    return cli_json("report", name, "--data-dir", str(data_dir), "--source", source,  # type: ignore[no-any-return]
                    "--tz", tz, *extra)


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def telemetry_body(requests: Sequence[tuple[datetime, str, Usage, str]],
                   session: str = "telemetry-session",
                   user: str = "dev@example.com") -> bytes:
    """OTLP/JSON logs with one Claude Code `api_request` event per request, as Claude Code
    would have sent them (same request ids, tokens and cost)."""
    pricer = Pricer()
    records = []
    for seq, (ts, model, u, rid) in enumerate(requests):
        cost = pricer.price(model, ts, TokenCounts(u.input, u.output, u.cache_read, u.cache_5m,
                                                   u.cache_1h)) or Decimal(0)
        attrs = {"session.id": session, "user.email": user, "event.name": "api_request",
                 "event.sequence": seq, "model": model, "request_id": rid,
                 "input_tokens": u.input, "output_tokens": u.output,
                 "cache_read_tokens": u.cache_read,
                 "cache_creation_tokens": u.cache_5m + u.cache_1h,
                 "cache_creation_5m_tokens": u.cache_5m, "cache_creation_1h_tokens": u.cache_1h,
                 "cost_usd": float(cost), "duration_ms": 1500, "speed": "normal"}
        records.append({"timeUnixNano": str(int(ts.timestamp() * 1e9)),
                        "body": {"stringValue": "claude_code.api_request"},
                        "attributes": [_attr(k, v) for k, v in attrs.items()]})
    body = {"resourceLogs": [{
        "resource": {"attributes": [_attr("service.name", "claude-code"),
                                    _attr("service.version", "2.1.332")]},
        "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"},
                       "logRecords": records}]}]}
    return json.dumps(body).encode()


def write_telemetry(data_dir: Path, body: bytes) -> None:
    """Store telemetry as `ccotel serve` would (decode + the one writer)."""
    con = schema.connect(data_dir)
    try:
        Writer(con).write_now(decode_request("logs", body, "json"))
    finally:
        con.close()


@contextmanager
def serve_in_thread(data_dir: Path) -> Iterator[dict[str, Any]]:
    """`ccotel serve` on free ports in this process, with the import and report endpoints
    (what server.py will wire), until the block ends. Yields its server.json."""
    from ccotel.running import find_running
    from ccotel.server import serve
    from ccotel.settings import Settings
    from ccotel.web import imports as import_api
    from ccotel.web import reports as report_api

    settings = Settings(grpc_port=0, http_port=0, ui_port=0, metrics_port=0,
                        data_dir=data_dir)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(serve(
                settings, on_ready=lambda r: ready.set(), stop=stop,
                web_routes=lambda ctx: import_api.routes(ctx) + report_api.routes(ctx)))
        except BaseException as exc:  # reported to the test
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="ccotel-serve-test", daemon=True)
    thread.start()
    assert ready.wait(30), "server did not start"
    if failure:
        raise failure[0]
    try:
        info = find_running(data_dir)
        assert info is not None
        yield info
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()

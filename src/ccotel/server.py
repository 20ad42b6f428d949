"""`ccotel serve`: OTLP/gRPC, OTLP/HTTP, the dashboard/API and /metrics in one process.

One asyncio loop runs every server; the single writer thread owns DuckDB writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import grpc
import pyarrow as pa
import uvicorn
from starlette.applications import Starlette

from ccotel import __version__, auth, connections, redact
from ccotel.alerts import runtime as alerts_runtime
from ccotel.alerts.rules import RulesError
from ccotel.errors import StartupError
from ccotel.forward.outbox import Outbox
from ccotel.otlp import bounds, decode, worker
from ccotel.otlp import grpc as otlp_grpc
from ccotel.otlp import http as otlp_http
from ccotel.otlp.ingest import Ingestor
from ccotel.otlp.prepare import Prepare
from ccotel.running import find_running, write_server_file
from ccotel.selfmetrics import ServerMetrics
from ccotel.settings import Settings, default_data_dir
from ccotel.store import handover, schema
from ccotel.store.writer import Writer
from ccotel.web import attribution as attribution_api
from ccotel.web import imports as import_api
from ccotel.web import limits as limits_api
from ccotel.web import reports as report_api
from ccotel.web.app import WebContext, build_app

log = logging.getLogger("ccotel.server")



LISTEN_BACKLOG = 2048  # connections the kernel queues for accept

# What else usually holds ccotel's default ports: the compose stack publishes the same ones
# (`stack/generate.py`'s StackOptions), so its services are the likely owners.
_PORT_HINTS = {
    "grpc": "is the compose stack's collector or another OTLP receiver running? try "
            "'ccotel stack down', or pick another port with --grpc-port",
    "http": "is the compose stack's collector or another OTLP receiver running? try "
            "'ccotel stack down', or pick another port with --http-port",
    "ui": "is the compose stack's Grafana (also on 3030) running? try 'ccotel stack down', "
          "or pick another port with --ui-port",
    "metrics": "is the compose stack's collector (its metrics are on 8888) running? try "
               "'ccotel stack down', or pick another port with --metrics-port",
}


def port_holder(port: int, data_dirs: Sequence[Path]) -> str | None:
    """"another ccotel serve (pid, data dir)" when a live server's `server.json` in one of
    `data_dirs` names `port`, else None: the port's owner, said plainly."""
    for data_dir in dict.fromkeys(Path(d) for d in data_dirs):
        info = find_running(data_dir)
        if info and port in (info.get(k) for k in
                             ("grpc_port", "http_port", "ui_port", "metrics_port")):
            return (f"another ccotel serve holds it (pid {info.get('pid')}, data dir "
                    f"{info.get('data_dir', data_dir)}): use that one, or stop it "
                    f"(kill {info.get('pid')}) first")
    return None


def _in_use(host: str, port: int, name: str, data_dirs: Sequence[Path]) -> StartupError:
    hint = port_holder(port, data_dirs) or _PORT_HINTS[name]
    return StartupError(f"port {port} ({name}) on {host} is in use: {hint}")


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int, name: str, data_dirs: Sequence[Path] = ()) -> socket.socket:
    """A listening socket; a port in use names its holder when `data_dirs` tell it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on connections accepted from a socket that says it is TCP. With it on, the second
    # write of a response (headers, then body) waited for the client's delayed ACK: 40 ms
    # on every request after the first on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise _in_use(host, port, name, data_dirs) from None
        raise StartupError(f"cannot listen on {host}:{port} ({name}): {exc.strerror}") from None
    sock.listen(LISTEN_BACKLOG)
    sock.setblocking(False)
    return sock


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: the process has several servers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _forward_targets(settings: Settings, redacting: bool) -> tuple[list[Any], dict[str, str]]:
    """`--forward` and `--forward-header`, checked before anything starts."""
    if not settings.forward:
        if settings.forward_header or settings.forward_ca is not None:
            raise StartupError("--forward-header and --forward-ca go with --forward: name the "
                               "OTLP endpoint to send to")
        return [], {}
    from ccotel.forward.sender import ForwardError, Target, parse_headers

    if redacting:
        # The outbox holds the requests as they arrived; --redact works on decoded rows.
        raise StartupError("--forward sends the requests as received, --redact changes only "
                           "what is stored: use one or the other (redact at the target)")
    if settings.forward_ca is not None and not Path(settings.forward_ca).is_file():
        raise StartupError(f"cannot read {settings.forward_ca}: give a PEM file to --forward-ca")
    try:
        targets = [Target.parse(u) for u in dict.fromkeys(settings.forward)]
        return targets, parse_headers(settings.forward_header)
    except ForwardError as exc:
        raise StartupError(str(exc)) from None


def _start_forwarders(settings: Settings, writer: Writer, metrics: ServerMetrics,
                      targets: list[Any], headers: dict[str, str]) -> list[Any]:
    """One started sender per `--forward` target, after dropping what waits for others."""
    if not targets:
        return []
    from ccotel.forward.sender import Forwarder, ForwardMetrics

    forgotten = writer.write_sync(writer.outbox.forget_others)
    if forgotten:
        log.warning("dropped %d forward requests waiting for targets no longer given to "
                    "--forward", forgotten)
    fm = ForwardMetrics(metrics)
    forwarders = [Forwarder(writer, t, headers, fm, ca=settings.forward_ca,
                            max_bytes=settings.forward_max_bytes) for t in targets]
    for f in forwarders:
        f.start()
    return forwarders


def _transcript_watcher(settings: Settings, writer: Writer) -> Any:
    """`--watch-transcripts`: the started watcher of Claude Code's transcript folders."""
    if not settings.watch_transcripts:
        return None
    from ccotel.importer.files import default_roots
    from ccotel.importer.watch import TranscriptWatcher

    roots = default_roots()
    if not roots:
        log.warning("--watch-transcripts: no transcript folder (CLAUDE_CONFIG_DIR, "
                    "~/.config/claude/projects, ~/.claude/projects) exists yet: not watching")
        return None
    watcher = TranscriptWatcher(writer, roots)
    watcher.start()
    return watcher


def _uvicorn(app: Any, settings: Settings, limits: connections.Limits, cap: int) -> _Uvicorn:
    kwargs: dict[str, Any] = {}
    if settings.tls_cert and settings.tls_key:
        kwargs = {"ssl_certfile": str(settings.tls_cert), "ssl_keyfile": str(settings.tls_key)}
    # The h11 protocol with a receipt deadline and a connection cap (connections.py);
    # backlog: how many connections asyncio accepts in one go before the cap sees them.
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                            timeout_graceful_shutdown=5, http=connections.guarded_h11(limits, cap),
                            backlog=connections.ACCEPT_BATCH, **kwargs)
    return _Uvicorn(config)


@dataclass
class Running:
    """Where the servers listen once started."""

    host: str
    grpc_port: int
    http_port: int
    ui_port: int
    metrics_port: int
    data_dir: Path
    tls_cert: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "version": __version__, "host": self.host,
                "scheme": "https" if self.tls_cert else "http",
                "tls_cert": str(self.tls_cert) if self.tls_cert else None,
                "grpc_port": self.grpc_port, "http_port": self.http_port,
                "ui_port": self.ui_port, "metrics_port": self.metrics_port,
                "data_dir": str(self.data_dir)}


def check_access(settings: Settings) -> None:
    if not is_loopback(settings.host) and not settings.token and not settings.insecure:
        raise StartupError(
            f"--host {settings.host} exposes Claude Code telemetry (prompts, costs, emails) "
            "to the network: set --token (or CCOTEL_TOKEN), or pass --insecure if you mean it")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise StartupError("--tls-cert and --tls-key go together: give both or neither")
    for path in (settings.tls_cert, settings.tls_key):
        if path is not None and not Path(path).is_file():
            raise StartupError(f"cannot read {path}: give a PEM file to --tls-cert/--tls-key")
    if settings.token and not settings.tls_cert and not is_loopback(settings.host):
        log.warning("--token without --tls-cert on %s: the token and the telemetry cross "
                    "the network in clear text", settings.host)


def open_store(settings: Settings) -> duckdb.DuckDBPyConnection:
    # A store in use or not ccotel's is an error of its own (store/schema.py).
    con = schema.connect(settings.data_dir, memory_limit=settings.memory_limit)
    # Each checkpoint rewrites the table's last, partly filled row group: checkpointing
    # every 64 MB of WAL rather than DuckDB's 16 MB does that a quarter as often.
    con.execute("SET checkpoint_threshold = '64MB'")
    # The writer's Arrow batches from the C library's allocator rather than pyarrow's
    # default (mimalloc), which keeps freed memory mapped for reuse: 8-10 MB less at peak
    # under bench/ingest.py, at the same rate (docs/ingest.md).
    pa.set_memory_pool(pa.system_memory_pool())
    return con


async def serve(settings: Settings, *, on_ready: Callable[[Running], None] | None = None,
                stop: asyncio.Event | None = None,
                web_routes: Callable[[WebContext], list[Any]] | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set)."""
    check_access(settings)
    try:
        redacted = redact.parse(settings.redact)
    except redact.RedactError as exc:
        raise StartupError(str(exc)) from None
    targets, forward_headers = _forward_targets(settings, bool(redacted))
    try:
        alert_rules = alerts_runtime.rules_for(settings)
        alert_interval = alerts_runtime.interval_of(settings)
    except (RulesError, ValueError) as exc:
        raise StartupError(str(exc)) from None
    try:
        retention = settings.retention_delta
        retention_interval_s = settings.retention_interval_s
    except (ValueError, OverflowError) as exc:
        why = "out of range" if isinstance(exc, OverflowError) else str(exc)
        raise StartupError(f"--retention {settings.retention} / --retention-interval "
                           f"{settings.retention_interval}: {why}") from None
    host = settings.host
    # A second `ccotel serve` usually runs on the same (default) data dir.
    owners = (settings.data_dir, default_data_dir())
    socks = {name: bind(host, port, name, owners) for name, port in (
        ("http", settings.http_port), ("ui", settings.ui_port),
        ("metrics", settings.metrics_port))}
    con = None
    writer: Writer | None = None
    decoder: worker.DecodeProcess | None = None
    try:
        # The store holds prompts, costs and emails: a new data dir is private to its user.
        Path(settings.data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        # Redaction runs on every decoded batch before it is queued: nothing redacted is
        # ever written.
        transform = (redact.Redactor(redacted, redact.load_key(settings.data_dir))
                     if redacted else None)
        # Decoding gets a process of its own (otlp/worker.py), which imports while the
        # store opens.
        metrics = ServerMetrics()
        decoder = worker.DecodeProcess(Prepare(
            transform, bounds.Limits(records=settings.max_records),
            keep_requests=bool(targets)), on_restart=metrics.decoder_restarts.inc)
        decoder.start()
        metrics.watch_decoder(lambda: decoder is not None and decoder.in_process)
        con = open_store(settings)
        writer = Writer(con, max_queue=settings.max_queue,
                        max_queue_records=settings.max_queue_records,
                        # the rows of two of the largest exports at most
                        max_queue_bytes=2 * settings.max_body, retention=retention,
                        retention_interval_s=retention_interval_s, observe=metrics.observe,
                        outbox=Outbox([t.url for t in targets]) if targets else None)
        # From now on the decoding process hands events over as the events table's column
        # buffers (store/handover.py): the server neither unpickles them as dicts nor
        # builds their Arrow table.
        decoder.set_layout(writer.event_layout)
        metrics.watch_queue(writer.depth)
        # One token check and one guessing throttle for every port.
        authenticator = auth.Authenticator(settings.token)
        ingestor = Ingestor(writer, metrics, decoder, keep_requests=bool(targets))
        # Every port's connections together stay below the open-file limit, with a reserve:
        # a flood on one port cannot take the descriptors of the others or of the store.
        conn_limits = connections.Limits(request_timeout=settings.request_timeout,
                                         max_connections=settings.max_connections)
        cap = connections.per_port_cap(settings.max_connections, connections.raise_fd_limit())
        grpc_server = otlp_grpc.build_server(ingestor, max_body=settings.max_body,
                                             auth=authenticator, limits=conn_limits,
                                             max_connections=cap)
        bracketed = f"[{host}]" if ":" in host else host
        address = f"{bracketed}:{settings.grpc_port}"
        try:
            if settings.tls_cert and settings.tls_key:
                creds = grpc.ssl_server_credentials([(settings.tls_key.read_bytes(),
                                                      settings.tls_cert.read_bytes())])
                grpc_port = grpc_server.add_secure_port(address, creds)
            else:
                grpc_port = grpc_server.add_insecure_port(address)
        except RuntimeError:
            grpc_port = 0
        if not grpc_port:
            raise _in_use(host, settings.grpc_port, "grpc", owners)
        running = Running(host, grpc_port, socks["http"].getsockname()[1],
                          socks["ui"].getsockname()[1], socks["metrics"].getsockname()[1],
                          settings.data_dir, settings.tls_cert)
        ready = False
        info = {"version": __version__, "decoder": decode.reader(),
                "columns": handover.builder()}
        ctx = WebContext(writer.cursors, info=info, ready=lambda: ready,
                         settings=settings, running=running, writer=writer, metrics=metrics,
                         auth=authenticator, alerts=alert_rules)
        web: Any = build_app(ctx, [*import_api.routes(ctx), *report_api.routes(ctx),
                                   *limits_api.routes(ctx), *attribution_api.routes(ctx),
                                   *(web_routes(ctx) if web_routes else [])])
        if settings.token:  # the dashboard and API show prompts, costs and emails
            web = auth.TokenAuth(web, authenticator, secure=settings.tls_cert is not None)
        web = auth.SameOriginWrites(web)  # outside the token check: see auth.py
        if is_loopback(host):  # no token needed here, so keep other sites' pages out
            web = auth.LocalHostOnly(web)
        metrics_routes: list[Any] = []
        # Extra endpoints beside ccotel's own /metrics (one line each).
        from ccotel.web import claude_metrics  # /metrics/claude-code (the stack's names)
        for extra in (claude_metrics.routes,):
            metrics_routes.extend(extra(ctx))
        metrics_app: Any = Starlette(routes=[*metrics_routes, metrics.route()])
        if is_loopback(host):  # /metrics/claude-code has per-user labels: as for the web
            metrics_app = auth.LocalHostOnly(metrics_app)
        servers = [
            (_uvicorn(otlp_http.build_app(ingestor, max_body=settings.max_body,
                                          auth=authenticator), settings, conn_limits, cap),
             socks["http"]),
            (_uvicorn(web, settings, conn_limits, cap), socks["ui"]),
            # TLS too when configured: the Bearer token of /metrics/claude-code and its
            # per-user labels must not cross the network in clear.
            (_uvicorn(metrics_app, settings, conn_limits, cap), socks["metrics"]),
        ]
        writer.start()
        watcher = _transcript_watcher(settings, writer)
        forwarders = _start_forwarders(settings, writer, metrics, targets, forward_headers)
        # Alerts: evaluated from stored rows every --alert-interval, sent off the ingest path.
        alert_service = alerts_runtime.AlertService(alert_rules, writer, alert_interval)
        alert_service.start()
        await grpc_server.start()
        tasks = [asyncio.create_task(s.serve(sockets=[sock])) for s, sock in servers]
        for _ in range(200):
            if all(s.started for s, _ in servers):
                break
            await asyncio.sleep(0.01)
        for sock in socks.values():  # asyncio set its accept batch as the kernel's queue
            sock.listen(LISTEN_BACKLOG)
        ready = True
        server_file = write_server_file(settings.data_dir, running.as_dict())
        if on_ready:
            on_ready(running)
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        # Shut down: stop accepting, then let the writer drain what was acknowledged-to-be.
        for s, _ in servers:
            s.should_exit = True
        await grpc_server.stop(grace=2)
        await asyncio.gather(*tasks, return_exceptions=True)
        await alert_service.stop()
        waiter.cancel()
        if watcher is not None:
            watcher.stop()
        for f in forwarders:  # before the writer: they hand it what they sent
            f.stop()
        writer.stop()
        with contextlib.suppress(FileNotFoundError):
            server_file.unlink()
    finally:
        for sock in socks.values():
            sock.close()
        if decoder is not None:
            decoder.close()
        if writer is not None:
            writer.close()  # the readers' connections too, then the store
        elif con is not None:
            con.close()

"""The dashboard and JSON API server (port 3030)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import anyio
import duckdb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ccotel import errors
from ccotel.auth import Authenticator
from ccotel.query import Query
from ccotel.store import reader, rollups
from ccotel.web.errors import EXCEPTION_HANDLERS
from ccotel.web.jsonbody import ApiJSON

CursorFactory = Callable[[], duckdb.DuckDBPyConnection]

# Queries run at once on the UI port. Each already uses the store's two threads, and all
# share one memory limit (`--memory-limit`): a dashboard asking for all its panels at once
# would otherwise have DuckDB run every query side by side and run out of memory, where
# three at a time finish as soon and fit.
READERS = 3


class Gate:
    """The UI port's readers share the store's memory limit: `shared()` around a read,
    `alone()` around one that ran out of memory beside others and is run again with the
    limit to itself. `alone()` waits for the reads in progress to end and holds new ones
    back meanwhile, so a retry is never starved; retries take turns."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._reading = 0   # reads in progress
        self._waiting = 0   # retries waiting or running alone
        self._alone = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._waiting)
            self._reading += 1
        try:
            yield
        finally:
            with self._cond:
                self._reading -= 1
                self._cond.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._reading and not self._alone)
            self._alone = True
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._waiting -= 1
                self._cond.notify_all()


class WebContext:
    """What the handlers need: a way to read the store, and facts about the server."""

    def __init__(self, cursor: CursorFactory, *, info: dict[str, Any] | None = None,
                 ready: Callable[[], bool] = lambda: True, settings: Any = None,
                 running: Any = None, writer: Any = None, metrics: Any = None,
                 auth: Authenticator | None = None, alerts: Any = None) -> None:
        self.cursor = cursor
        self.info = info or {}
        self.ready = ready
        self.settings = settings  # ccotel.settings.Settings when run by `ccotel serve`
        self.running = running    # ccotel.server.Running: the ports actually bound
        self.writer = writer      # ccotel.store.writer.Writer, for endpoints that write
        self.metrics = metrics    # ccotel.selfmetrics.ServerMetrics
        self.auth = auth or Authenticator(None)  # the server's one token check (none: open)
        self.alerts = alerts      # ccotel.alerts.rules.AlertRules that the server evaluates
        self._readers = anyio.CapacityLimiter(READERS)
        self._exports = anyio.CapacityLimiter(1)
        self._probes = anyio.CapacityLimiter(READERS)
        self._gate = Gate()

    def _known_until(self) -> AbstractContextManager[None]:
        """Reads take the writer's mark of rolled_until, not a statement of their own
        (`rollups.known_until`); without a writer, they ask the store."""
        if self.writer is None:
            return nullcontext()
        return rollups.known_until(self.writer.rolled_until)

    async def read(self, fn: Callable[..., Any], *args: Any, long: bool = False,
                   probe: bool = False) -> Any:
        """Run a reader function on its own cursor, off the event loop, at most `READERS`
        at a time; a `long` one (a whole-table export) one at a time apart from them, so
        exports never hold up the dashboard; a `probe` (the health check's `SELECT 1`)
        apart from both. A read that runs out of memory beside other reads (a dashboard
        asking for its panels at once over a long range) is run again alone once they
        are done (`Gate`), rather than answered 503 to be asked again a second later. One
        that still finds no memory (an export or the writer using it, a low
        `--memory-limit`) is answered 503 with Retry-After, never 500: asked again, it
        fits."""
        def once(gate: Callable[[], AbstractContextManager[None]]) -> Any:
            cur = self.cursor()
            try:
                with gate(), self._known_until():
                    return fn(cur, *args)
            finally:
                cur.close()

        def out_of_memory(outcome: str) -> None:
            if self.metrics is not None:
                self.metrics.reads_out_of_memory.labels(outcome).inc()

        def call() -> Any:
            try:
                if probe or long:
                    return once(nullcontext)
                try:
                    return once(self._gate.shared)
                except duckdb.OutOfMemoryException:
                    result = once(self._gate.alone)
                    out_of_memory("rerun")
                    return result
            except duckdb.OutOfMemoryException:
                out_of_memory("busy")
                raise errors.OutOfMemory("the store's memory (--memory-limit) is in use by "
                                         "other queries: retry shortly",
                                         retry_after=1) from None
        limiter = self._probes if probe else self._exports if long else self._readers
        return await anyio.to_thread.run_sync(call, limiter=limiter)


def build_app(ctx: WebContext, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The UI port's app: health, the summary API, then the dashboard and its API."""
    async def readyz(request: Request) -> Response:
        if not ctx.ready():
            return JSONResponse({"status": "starting"}, status_code=503)
        await ctx.read(lambda cur: cur.execute("SELECT 1").fetchone(), probe=True)
        return JSONResponse({"status": "ok", **ctx.info})

    async def summary(request: Request) -> Response:
        q = Query.parse(dict(request.query_params))
        return ApiJSON(await ctx.read(reader.summary, q))

    from ccotel.web import alerts, attribution, dashboard, export, openapi

    routes: list[BaseRoute] = [
        Route("/readyz", readyz),
        Route("/healthz", readyz),
        Route("/api/v1/summary", summary),
        *export.routes(ctx),
        *(extra_routes or []),
        *alerts.routes(ctx),
        *attribution.read_routes(ctx),
        *openapi.routes(),
        # Last: the dashboard's catch-all static mount must not shadow the routes above.
        *dashboard.routes(ctx),
    ]
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)
    app.state.ctx = ctx
    return app

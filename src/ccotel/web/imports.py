"""The import endpoint of a running server: `ccotel import` sends its chunks here, because
the server holds the store's lock.

    GET  /api/v1/import/files   -> {"files": [FileState...]}   where each file's import stopped
    POST /api/v1/import/chunk   {"rows": [...], "files": [FileState...]} -> {"result": {...}}

A chunk is applied exactly as a local import would (`store.apply_chunk`): rows first,
offsets after. Chunks are applied one at a time, so two imports running at once cannot
both decide that a request is new. Rows are checked first (`store.check_rows`: only
transcript rows, token counts and costs within bounds: 400 naming the field). The server
takes the chunk only as `application/json` and not from another site's page
(`auth.SameOriginWrites`, around the whole web app).
"""

from __future__ import annotations

from typing import Any

import duckdb
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccotel.errors import CcotelError, UsageError
from ccotel.importer.files import FileState
from ccotel.importer.store import (
    CHUNK_LOCK,
    BadRows,
    apply_chunk,
    check_rows,
    read_file_states,
)
from ccotel.store.writer import RejectedBatch
from ccotel.web.jsonbody import ApiJSON


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext (needs `ctx.writer`)."""
    async def files(request: Request) -> Response:
        states = await ctx.read(read_file_states)
        return ApiJSON({"files": [s.as_dict() for s in states.values()]})

    async def chunk(request: Request) -> Response:
        if ctx.writer is None:
            raise CcotelError("this server does not accept imports (read-only)", 503)
        try:
            body = await request.json()
            rows = body["rows"]
            file_states = [FileState.from_dict(f) for f in body.get("files") or []]
            if not isinstance(rows, list):
                raise TypeError("rows must be a list")
            check_rows(rows)
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"bad import chunk: {exc}") from None

        def apply() -> Any:
            with CHUNK_LOCK:
                return apply_chunk(ctx.writer, rows, file_states)

        from starlette.concurrency import run_in_threadpool

        try:
            result = await run_in_threadpool(apply)
        except (BadRows, RejectedBatch) as exc:
            raise UsageError(str(exc)) from None
        except (ValueError, TypeError, OverflowError, duckdb.DataError) as exc:
            # A value the store cannot hold (a cost past DECIMAL(18,12), a count past
            # BIGINT): the chunk was rolled back, and the client has to fix it.
            first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            raise UsageError(f"bad import chunk: {first}") from None
        return JSONResponse({"result": result.as_dict()})

    return [
        Route("/api/v1/import/files", files, methods=["GET"]),
        Route("/api/v1/import/chunk", chunk, methods=["POST"]),
    ]

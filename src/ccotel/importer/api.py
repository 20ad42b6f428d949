"""The import endpoint of a running server: `ccotel import` sends its chunks here, because
the server holds the store's lock.

    GET  /api/v1/import/files   -> {"files": [FileState...]}   where each file's import stopped
    POST /api/v1/import/chunk   {"rows": [...], "files": [FileState...]} -> {"result": {...}}

A chunk is applied exactly as a local import would (`store.apply_chunk`): rows first,
offsets after. Chunks are applied one at a time, so two imports running at once cannot
both decide that a request is new.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccotel.importer.files import FileState
from ccotel.importer.store import (
    CHUNK_LOCK,
    BadRows,
    apply_chunk,
    check_rows,
    read_file_states,
)
from ccotel.store.writer import RejectedBatch
from ccotel.web.errors import ApiError


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext (needs `ctx.writer`)."""
    async def files(request: Request) -> Response:
        states = await ctx.read(read_file_states)
        return JSONResponse({"files": [s.as_dict() for s in states.values()]})

    async def chunk(request: Request) -> Response:
        if ctx.writer is None:
            raise ApiError("this server does not accept imports (read-only)", 503)
        try:
            body = await request.json()
            rows = body["rows"]
            file_states = [FileState.from_dict(f) for f in body.get("files") or []]
            if not isinstance(rows, list):
                raise TypeError("rows must be a list")
            check_rows(rows)
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiError(f"bad import chunk: {exc}", 400) from None

        def apply() -> Any:
            with CHUNK_LOCK:
                return apply_chunk(ctx.writer, rows, file_states)

        from starlette.concurrency import run_in_threadpool

        try:
            result = await run_in_threadpool(apply)
        except (BadRows, RejectedBatch) as exc:
            raise ApiError(str(exc), 400) from None
        return JSONResponse({"result": result.as_dict()})

    return [
        Route("/api/v1/import/files", files, methods=["GET"]),
        Route("/api/v1/import/chunk", chunk, methods=["POST"]),
    ]

"""The limits API of a running server.

    GET  /api/v1/limits[?user=<account>]   the ledger (limits/ledger.py)
    POST /api/v1/limits/snapshot           a statusline snapshot (limits/snapshot.py);
                                           answers the sender's account, its cost today
                                           on every machine and its limits

A snapshot is answered only after the writer committed it, like an OTLP export.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ccotel.errors import Busy, CcotelError, TooLarge, UsageError
from ccotel.limits import ledger, snapshot
from ccotel.store.writer import Overloaded, RejectedBatch, classify
from ccotel.web.jsonbody import ApiJSON
from ccotel.web.openapi import ANY_OBJECT, NUMBER, STRING, nullable, obj, operation, param

HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def _body(request: Request) -> bytes:
    """The request body, refused past `snapshot.MAX_BODY` without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > snapshot.MAX_BODY):
        raise TooLarge(f"a snapshot is at most {snapshot.MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > snapshot.MAX_BODY:
            raise TooLarge(f"a snapshot is at most {snapshot.MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext (needs `ctx.writer`)."""

    @operation("The limits ledger: per account, the 5-hour and 7-day windows (official "
               "numbers from the statusline, else ccotel's own block), pace, projection, "
               "cost per percentage point.", ANY_OBJECT,
               params=[param("user", STRING, "Only this account (e-mail, account or user id).")])
    async def limits(request: Request) -> Response:
        user = request.query_params.get("user") or None
        return ApiJSON(await ctx.read(lambda cur: ledger.ledger(cur, user)),
                            headers=HEADERS)

    @operation("Store a statusline snapshot; answers the sender's account, its cost today "
               "on every machine and its limits.", ANY_OBJECT, method="post",
               errors=(400, 413, 415),
               body=obj({"input": ANY_OBJECT, "host": nullable(STRING),
                         "branch": nullable(STRING), "user": nullable(STRING),
                         "day_start": nullable(NUMBER)}, required=["input"], extra=True))
    async def post_snapshot(request: Request) -> Response:
        if ctx.writer is None:
            raise CcotelError("this server does not accept snapshots (read-only)", 503)
        import json

        try:
            row, day_start = snapshot.parse(json.loads(await _body(request)))
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"bad snapshot: {str(exc)[:200]}") from None
        try:
            fut = ctx.writer.write(lambda con: snapshot.insert(con, [row]))
        except Overloaded:
            raise Busy("busy: retry later", retry_after=1) from None
        try:
            await asyncio.wrap_future(fut)
        except Exception as exc:
            if isinstance(err := classify(exc), RejectedBatch):
                raise UsageError(f"bad snapshot: {err}") from None
            raise
        answer = await ctx.read(ledger.statusline_answer, row, day_start)
        return ApiJSON(answer, headers=HEADERS)

    return [
        Route("/api/v1/limits", limits, methods=["GET"]),
        Route("/api/v1/limits/snapshot", post_snapshot, methods=["POST"]),
    ]

"""`GET /metrics/claude-code` on `ccotel serve`'s metrics port: Claude Code's metrics named
as the compose stack's collector names them (`claude/exposition.py` renders them)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ccotel.auth import client_address
from ccotel.claude.exposition import CONTENT_TYPE, Exposition

PATH = "/metrics/claude-code"


def routes(ctx: Any) -> list[Route]:
    """The endpoint (wired in server.py). Labels carry user ids, emails and sessions: it
    takes the same token as the API (`ctx.auth`)."""
    exposition = Exposition()  # one per server: it caches each series' labels

    async def claude_code_metrics(request: Request) -> Response:
        verdict = ctx.auth.bearer(client_address(request.scope),
                                  request.headers.get("authorization"))
        if verdict.wait:
            return PlainTextResponse(
                f"too many wrong tokens from this address: try again in {verdict.wait} s\n",
                status_code=429, headers={"Retry-After": str(verdict.wait)})
        if not verdict.ok:
            return PlainTextResponse(
                "this ccotel needs its token: set `authorization: {credentials: <token>}` "
                "in the scrape config\n", status_code=401,
                headers={"WWW-Authenticate": "Bearer"})
        text = await ctx.read(exposition.render)
        return Response(text, media_type=CONTENT_TYPE)

    return [Route(PATH, claude_code_metrics)]

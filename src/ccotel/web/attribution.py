"""Recording a session's repo and branch on a running server.

    POST /api/v1/sessions/{session_id}/git  {"repo": "github.com/o/r", "branch": "main",
                                             "head": "<sha>", "worktree": ..., "toplevel": ...}
        -> 200 {"recorded": 1}

`ccotel hook session-start` and the statusline send it (`claude/gitinfo.py` finds the facts
where Claude Code runs). The record is written by the one writer like any event
(`store.attribution.git_record`), and answered only once committed.

    GET /repo?var-repo=<repo>&from=&to=&var-...       one repo's page
    GET /api/v1/repo?var-repo=<repo>&from=&to=&var-... its total, people, models, branches,
                                                       sessions and cost over time
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccotel.errors import Busy, CcotelError, TooLarge, UsageError
from ccotel.otlp.decode import decode_request
from ccotel.query import MAX_FILTER_VALUE, BadQuery, Query
from ccotel.store import attribution
from ccotel.store.attribution import GIT_FIELDS, git_record
from ccotel.store.writer import Overloaded
from ccotel.web import dashboard
from ccotel.web.openapi import (
    COUNT,
    NUMBER,
    QUERY_PARAMS,
    STRING,
    array,
    nullable,
    obj,
    operation,
    param,
)

MAX_BODY = 16 * 1024


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext (needs `ctx.writer`)."""

    @operation("Record a session's git repo and branch (`ccotel hook`, the statusline).",
               obj({"recorded": COUNT}), method="post", errors=(400, 413, 415, 503),
               params=[param("session_id", STRING, "The session's `session.id`.",
                             where="path")],
               body=obj({name: STRING for name in GIT_FIELDS}, required=["repo"]),
               description="The newest record of a session names the repo and branch its "
                           "costs are attributed to; written like any event, answered once "
                           "committed.")
    async def record(request: Request) -> Response:
        if ctx.writer is None:
            raise CcotelError("this server does not accept writes (read-only)", 503)
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise TooLarge(f"body over {MAX_BODY} bytes")
        try:
            facts = json.loads(raw)
        except ValueError as exc:
            raise UsageError(f"bad git record: {exc}") from None
        if not isinstance(facts, dict):
            raise UsageError("bad git record: not a JSON object")
        body = git_record(request.path_params["session_id"], facts, now_ns=time.time_ns())
        batch = decode_request("logs", body, "json")
        try:
            await asyncio.wrap_future(ctx.writer.submit(batch, len(body)))
        except Overloaded:
            raise Busy("the write queue is full: try again shortly") from None
        return JSONResponse({"recorded": len(batch.events)})

    return [Route("/api/v1/sessions/{session_id}/git", record, methods=["POST"])]


_PART = obj({"name": STRING, "value": NUMBER, "cost_exact": STRING, "tokens": COUNT,
             "requests": COUNT, "sessions": nullable(COUNT)})
REPO = obj({"repo": STRING, "total": _PART, "people": array(_PART), "models": array(_PART),
            "branches": array(_PART), "sessions": array(_PART),
            "over_time": obj({"step": STRING, "items": array(_PART)})})


def _repo(request: Request) -> tuple[str, Query]:
    repo = request.query_params.get("var-repo") or request.query_params.get("repo")
    if not repo or repo in ("All", "$__all"):
        raise BadQuery("var-repo is required: the repo to show")
    return repo[:MAX_FILTER_VALUE], Query.parse(dict(request.query_params))


def read_routes(ctx: Any) -> list[Route]:
    """The repo page and its data, for `web.app.build_app` (needs `ctx.read`)."""

    @operation("One repo's cost in the range: its people, models, branches, sessions (each "
               "adding up exactly to `total`) and its cost over time.", REPO,
               params=QUERY_PARAMS, errors=(400,))
    async def repo_data(request: Request) -> Response:
        repo, q = _repo(request)
        return dashboard.api_json(await ctx.read(attribution.repo_page, q, repo))

    async def repo_page(request: Request) -> Response:
        repo, _ = _repo(request)
        return dashboard.render_page(request, "repo.html", repo=repo)

    return [Route("/api/v1/repo", repo_data), Route("/repo", repo_page)]

"""The report API of a running server: `ccotel report` asks it while the server holds the
store's lock, and gets exactly what a local read returns.

    GET /api/v1/report/{daily|weekly|monthly|session|blocks|models|tools|projects|users}
        ?since=YYYY-MM-DD&until=YYYY-MM-DD&tz=<IANA>&source=all|telemetry|transcript
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccotel.report import data
from ccotel.report.query import ReportQuery
from ccotel.web.errors import NotFound


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext."""

    async def report(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in data.REPORTS:
            raise NotFound(f"no report {name!r}: use one of {', '.join(data.REPORTS)}")
        q = ReportQuery.parse(dict(request.query_params))
        return JSONResponse(await ctx.read(data.build, name, q))

    return [Route("/api/v1/report/{name}", report, methods=["GET"])]

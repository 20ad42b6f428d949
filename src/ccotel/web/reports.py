"""The report API of a running server: `ccotel report` asks it while the server holds the
store's lock, and gets exactly what a local read returns.

    GET /api/v1/report/{daily|weekly|monthly|session|blocks|models|tools|projects|users}
        ?since=YYYY-MM-DD&until=YYYY-MM-DD&tz=<IANA>&source=all|telemetry|transcript
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ccotel.errors import NotFound
from ccotel.report import data
from ccotel.report.query import SOURCES, ReportQuery
from ccotel.web.jsonbody import ApiJSON
from ccotel.web.openapi import ANY_OBJECT, STRING, array, obj, operation, param

_DATE = {"type": "string", "pattern": "^[0-9]{4}-?[0-9]{2}-?[0-9]{2}$"}
PARAMS = [
    param("name", {"type": "string", "enum": list(data.REPORTS)}, "Which report.",
          where="path"),
    param("since", _DATE, "First day (inclusive), YYYY-MM-DD or YYYYMMDD, in `tz`.",
          example="2026-01-01"),
    param("until", _DATE, "Last day (inclusive), YYYY-MM-DD or YYYYMMDD, in `tz`.",
          example="2026-01-31"),
    param("tz", STRING, "IANA time zone the days are in. Default: the server's.",
          example="UTC"),
    param("source", {"type": "string", "enum": list(SOURCES), "default": "all"},
          "Telemetry, imported transcripts, or both."),
    param("now", STRING, "The time `blocks` takes as now (the query grammar of `from`).",
          example="now"),
]
# ccusage's shape: one list named after the report, and totals where the report has them.
REPORT = {**obj({**{name: array(ANY_OBJECT) for name in data.REPORTS}, "totals": ANY_OBJECT},
                required=[]), "minProperties": 1}


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext."""

    @operation("A `ccotel report`, as `--json` prints it.", REPORT, params=PARAMS,
               errors=(400, 404))
    async def report(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in data.REPORTS:
            raise NotFound(f"no report {name!r}: use one of {', '.join(data.REPORTS)}")
        q = ReportQuery.parse(dict(request.query_params))
        return ApiJSON(await ctx.read(data.build, name, q))

    return [Route("/api/v1/report/{name}", report, methods=["GET"])]

"""The JSON API described as an OpenAPI 3 document, served at `/api/v1/openapi.json`.

Each `/api/v1/*` handler carries its own description (`@operation(...)`, next to its code),
and `document()` walks the app's route table to assemble them: a route with no
description, or a description with no route, cannot go unnoticed (the tests compare the
two both ways, and fuzz the live server against the document with schemathesis).
Handlers that live beside other code (the summary in `web/app.py`, the import endpoints
in `web/imports.py`) are described in `ELSEWHERE`, keyed by path, and checked the same way.

The building blocks below (parameters, schemas, error responses) are the vocabulary the
descriptions share, so a time range or the error envelope is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ccotel import __version__

Schema = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])

PREFIX = "/api/v1/"
PATH = "/api/v1/openapi.json"


# -- schemas --------------------------------------------------------------------------------

def nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


def obj(properties: dict[str, Schema], *, required: list[str] | None = None,
        extra: bool | Schema = False) -> Schema:
    """An object with these properties (all required unless `required` says otherwise)."""
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": extra}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
COUNT: Schema = {"type": "integer", "minimum": 0}
TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object"}

ERROR = obj({"error": obj({"status": {"type": "integer", "minimum": 400, "maximum": 599},
                           "message": STRING})})
TOKENS = obj({"input": COUNT, "output": COUNT, "cacheRead": COUNT, "cacheCreation": COUNT})
RANGE = {"from": TIME, "to": TIME}
EVENT = obj({
    "cursor": nullable(STRING), "key": nullable(STRING), "time": TIME, "event": nullable(STRING),
    "session_id": nullable(STRING), "user": nullable(STRING), "model": nullable(STRING),
    "tool_name": nullable(STRING), "severity": nullable(STRING), "source": nullable(STRING),
    "trace_id": nullable(STRING), "span_id": nullable(STRING), "summary": STRING,
    "attributes": ANY_OBJECT, "resource": ANY_OBJECT})
LOG_PAGE = {"events": array(EVENT), "cursor": nullable(STRING), "has_more": BOOLEAN}
FILE_STATE = obj({"path": STRING, "size": INTEGER, "mtime": nullable(NUMBER),
                  "offset_bytes": INTEGER, "head_hash": nullable(STRING)},
                 required=["path", "size", "mtime", "offset_bytes"])


# -- parameters -----------------------------------------------------------------------------

def param(name: str, schema: Schema, description: str, *, where: str = "query",
          example: Any = None) -> Schema:
    p: Schema = {"name": name, "in": where, "required": where == "path", "schema": schema,
                 "description": description}
    if example is not None:
        p["example"] = example
    return p


TIME_GRAMMAR = ("`now`, `now-6h` (ms, s, m, h, d, w, y), epoch milliseconds, or RFC 3339. "
                "Times before 1970 or after 9998 are clamped to those years.")
RANGE_PARAMS = [
    param("from", STRING, f"Start of the range (inclusive). {TIME_GRAMMAR} "
          "Default: 24 h before `to`.", example="now-6h"),
    param("to", STRING, f"End of the range (exclusive). {TIME_GRAMMAR} Default: now.",
          example="now"),
]
FILTER_PARAMS = [
    param(name, STRING, f"Only this {what}; `All`, `$__all` or empty: no filter. "
          f"`var-{name}` (Grafana's name) works too.")
    for name, what in (("user", "`user.id` or `user.email`"), ("session", "`session.id`"),
                       ("model", "model"), ("terminal", "`terminal.type`"),
                       ("version", "Claude Code version"))
] + [param(f"var-{name}", STRING, f"Grafana's name for `{name}`.")
     for name in ("user", "session", "model", "terminal", "version")
] + [param(f"var-{name}", STRING, f"Only requests whose {what} is this (`(unknown)`: those "
           "without one). Any other `var-<key>` filters by that attribute or resource key "
           "(team, cost_center, ...); docs/dashboard-api.md says which panels each filters.")
     for name, what in (("repo", "session's git repository"), ("branch", "session's branch"),
                        ("query_source", "`query_source`"), ("effort", "`effort`"),
                        ("speed", "`speed`"), ("skill", "`skill.name`"),
                        ("agent", "subagent (`agent.name`)"), ("plugin", "`plugin.name`"),
                        ("mcp", "`mcp_server.name`"), ("mcp_tool", "`mcp_tool.name`"))]
QUERY_PARAMS = RANGE_PARAMS + FILTER_PARAMS


# -- responses ------------------------------------------------------------------------------

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "required": True, "schema": {"type": "integer", "minimum": 0}}}
# Refusals made before the app sees the request (host check, body limit) may be plain text.
PLAIN_TOO = (403, 413)
ERRORS: dict[int, tuple[str, bool]] = {  # status -> (when, carries Retry-After)
    400: ("A parameter or body the client has to fix.", False),
    401: ("With `--token`: no valid `Authorization: Bearer` header or login cookie.", False),
    403: ("Refused: a `Host` that is not a local name on a loopback server, or a "
          "cross-site request.", False),
    404: ("Nothing of that name.", False),
    413: ("The body is larger than the server takes.", False),
    415: ("A write whose `Content-Type` is not exactly `application/json`.", False),
    429: ("Too many wrong tokens from this address: wait `Retry-After` seconds.", True),
    503: ("Busy (backpressure) or not ready: retry after `Retry-After` seconds.", True),
}
ALWAYS = (401, 403, 429, 503)


def error_response(status: int) -> Schema:
    when, retry = ERRORS[status]
    content: Schema = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    if status in PLAIN_TOO:
        content["text/plain"] = {"schema": STRING}
    r: Schema = {"description": when, "content": content}
    if retry:
        r["headers"] = RETRY_AFTER
    return r


def spec(summary: str, response: Schema, *, params: list[Schema] | None = None,
         errors: tuple[int, ...] = (400,), body: Schema | None = None, method: str = "get",
         description: str = "", media_types: tuple[str, ...] = ("application/json",)
         ) -> tuple[str, Schema]:
    """One operation: what it answers with 200 (JSON, unless `media_types` says which
    files), its parameters, its error statuses."""
    op: Schema = {"summary": summary, "parameters": params or [], "responses": {
        "200": {"description": "OK",
                "content": {m: {"schema": response} for m in media_types}},
        **{str(s): error_response(s) for s in sorted({*errors, *ALWAYS})}}}
    if description:
        op["description"] = description
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    return method, op


def operation(summary: str, response: Schema, **kwargs: Any) -> Callable[[F], F]:
    """Describe the handler below (see `spec`): the description travels with it."""
    described = spec(summary, response, **kwargs)

    def mark(fn: F) -> F:
        fn.openapi = described  # type: ignore[attr-defined]
        return fn
    return mark


# -- operations whose handlers live in modules that are not about the API -------------------

SUMMARY = obj({**RANGE, "sessions": COUNT, "users": COUNT, "requests": COUNT, "errors": COUNT,
               "tool_calls": COUNT, "tool_failures": COUNT, "cost_usd": NUMBER,
               "tokens": TOKENS, "avg_response_ms": nullable(NUMBER), "lines_added": NUMBER,
               "lines_removed": NUMBER, "commits": NUMBER, "pull_requests": NUMBER})
_CHUNK_RESULT = obj({k: COUNT for k in ("inserted", "replaced", "duplicates",
                                        "sidechain_replays", "in_telemetry")})
ELSEWHERE: dict[str, list[tuple[str, Schema]]] = {
    "/api/v1/summary": [spec(
        "Totals for the range and filters (`ccotel report summary --json`).", SUMMARY,
        params=QUERY_PARAMS)],
    "/api/v1/import/files": [spec(
        "Where each transcript file's import stopped (`ccotel import` asks before sending).",
        obj({"files": array(FILE_STATE)}), errors=())],
    "/api/v1/import/chunk": [spec(
        "Store transcript rows, then record how far each file was read.",
        obj({"result": _CHUNK_RESULT}), method="post", errors=(400, 413, 415),
        body=obj({"rows": array(ANY_OBJECT), "files": array(FILE_STATE)}, required=["rows"],
                 extra=True),
        description="Rows are what `ccotel import` produces (transcript `api_request` and "
                    "`tool_use` rows); anything else is a 400 naming what is wrong.")],
}


# -- the document ---------------------------------------------------------------------------

def api_routes(routes: list[BaseRoute]) -> list[Route]:
    return [r for r in routes if isinstance(r, Route) and r.path.startswith(PREFIX)]


def document(routes: list[BaseRoute]) -> Schema:
    """The OpenAPI document for every `/api/v1/*` route in `routes`."""
    paths: dict[str, Schema] = {}
    for route in api_routes(routes):
        ops: Sequence[tuple[str, Schema] | None] = (
            ELSEWHERE.get(route.path) or [getattr(route.endpoint, "openapi", None)])
        for described in ops:
            if described is None:
                raise LookupError(f"{route.path} has no OpenAPI description")
            method, op = described
            if method.upper() not in (route.methods or {"GET"}):
                raise LookupError(f"{route.path} is described for {method.upper()}, "
                                  f"which it does not answer")
            paths.setdefault(route.path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "ccotel JSON API", "version": __version__,
                 "description": "The dashboard's data, reports and transcript import of a "
                                "running `ccotel serve`. With `--token`, send "
                                "`Authorization: Bearer <token>`. Every error is the "
                                "`Error` envelope with the HTTP status."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {"Error": ERROR}},
    }


@operation("This document.", {"type": "object", "required": ["openapi", "paths"]}, errors=())
async def openapi_json(request: Request) -> Response:
    app = request.app
    doc = getattr(app.state, "openapi", None)
    if doc is None:
        doc = app.state.openapi = document(app.routes)
    return JSONResponse(doc, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route(PATH, openapi_json, methods=["GET"])]

"""The dashboard: its pages, and the JSON API the pages are drawn from.

Pages are thin shells: the browser fetches every number from the same `/api/v1/...`
endpoints a script would use, so the page and the API cannot disagree.

    GET /                          the dashboard (Grafana URL parameters: from, to,
                                   refresh, var-user, var-model, var-session,
                                   var-terminal, var-version, var-<dimension>: repo,
                                   branch, skill, team, ...; and lang=en|ja)
    GET /repos/<repo>              one repo: its sessions, people, models, cost over time
    GET /sessions/<id>             one session: its interactions and its timeline
    GET /api/v1/panels             the panel catalogue
    GET /api/v1/panels/<id>        one panel's data for the range and filters
    GET /api/v1/dashboard          several panels' data, read together (panels=a,b,...)
    GET /api/v1/logs               events; event=, q=, after=<cursor>, limit=
    GET /api/v1/sessions/<id>      one session's totals, timeline and spans
    GET /api/v1/filters            values seen in the range for each filter
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ccotel import __version__, panel_data
from ccotel.claude.catalogue import EVENTS
from ccotel.errors import NotFound
from ccotel.panels import PANELS, PANELS_BY_ID
from ccotel.query import INT64_MAX, BadQuery, Query, parse_int
from ccotel.store import attribution, logs, sessions
from ccotel.web import i18n
from ccotel.web.jsonbody import ApiJSON
from ccotel.web.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    COUNT,
    EVENT,
    INTEGER,
    LOG_PAGE,
    NUMBER,
    QUERY_PARAMS,
    RANGE,
    STRING,
    TIME,
    TOKENS,
    array,
    nullable,
    obj,
    operation,
    param,
)

if TYPE_CHECKING:
    from ccotel.web.app import WebContext

WEB = resources.files("ccotel.web")
# Pages load scripts and styles from /static only; data is never markup (textContent),
# and this policy stops anything injected from running even if that rule were broken.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

_env = Environment(loader=FileSystemLoader(str(WEB.joinpath("templates"))),
                   autoescape=select_autoescape(["html"]))


# -- what the API answers (the OpenAPI descriptions below are built from these) -----------

PANEL_ENTRY = obj({"id": STRING, "title": STRING, "kind": STRING, "unit": STRING,
                   "description": STRING, "fixed_range": nullable(STRING), "original": BOOLEAN,
                   "width": INTEGER, "height": INTEGER, "serve_only": BOOLEAN,
                   "together": nullable(STRING),
                   "query": STRING, "endpoint": STRING})
# Attribution's items (Cost by Repo, ...) carry their exact cost, tokens and requests.
_ITEM = obj({"name": nullable(STRING), "value": nullable(NUMBER), "session_id": STRING,
             "cost_exact": STRING, "tokens": COUNT, "requests": COUNT,
             "sessions": nullable(COUNT)}, required=["name", "value"])
PANEL_DATA = {"anyOf": [
    # stat (Total Tokens (Last Hour) names the hour it counted)
    obj({"value": nullable(NUMBER), **RANGE}, required=["value"]),
    # timeseries (the error rate carries its overall errors and requests)
    obj({"step_s": COUNT, "times": array(INTEGER),
         "series": array(obj({"name": STRING, "values": array(nullable(NUMBER)),
                              "total": nullable(NUMBER)}, required=["name", "values"])),
         "errors": COUNT, "requests": COUNT}, required=["step_s", "times", "series"]),
    # piechart, bargauge (attribution's: with the dimension and the total of the items)
    obj({"items": array(_ITEM), "dimension": STRING, "total": _ITEM}, required=["items"]),
    obj({"columns": array(obj({"id": STRING, "title": STRING, "unit": STRING})),  # table
         "rows": array(ANY_OBJECT), "total": ANY_OBJECT}, required=["columns", "rows"]),
    obj(LOG_PAGE),  # logs
]}
PANEL = obj({"id": STRING, "title": STRING, "kind": STRING, "unit": STRING, **RANGE,
             "data": PANEL_DATA, "unfiltered": array(STRING)},
            required=["id", "title", "kind", "unit", "from", "to", "data"])
SPAN = obj({"trace_id": nullable(STRING), "span_id": nullable(STRING),
            "parent_span_id": nullable(STRING), "name": nullable(STRING),
            "kind": nullable(STRING), "start": TIME, "start_unix_nano": nullable(INTEGER),
            "end_unix_nano": nullable(INTEGER), "duration_ms": nullable(NUMBER),
            "status_code": nullable(STRING), "status_message": nullable(STRING),
            "attributes": ANY_OBJECT, "events": {"type": "array"}})
SESSION = obj({
    "session_id": STRING, "user": nullable(STRING), "user_id": nullable(STRING),
    "terminal": nullable(STRING), "version": nullable(STRING), "models": array(STRING),
    "start": nullable(TIME), "end": nullable(TIME), "duration_s": nullable(NUMBER),
    "totals": obj({"prompts": COUNT, "requests": COUNT, "errors": COUNT, "tool_calls": COUNT,
                   "tool_failures": COUNT, "cost_usd": nullable(NUMBER), "tokens": TOKENS}),
    "metrics": {"type": "object", "additionalProperties": nullable(NUMBER)},
    "timeline": array(EVENT), "truncated": BOOLEAN, "spans": array(SPAN)})
_VALUES = array(obj({"value": STRING, "count": COUNT}))
FILTERS = obj({**RANGE, "users": _VALUES, "models": _VALUES, "sessions": _VALUES,
               "terminals": _VALUES, "versions": _VALUES, "empty": BOOLEAN,
               # var-repo, var-skill, var-team, ...: dimension -> its values
               "dimensions": {"type": "object", "additionalProperties": _VALUES}})
PANEL_ID = param("panel_id", {"type": "string", "enum": [p.id for p in PANELS]},
                 "A panel's id, as `/api/v1/panels` lists them.", where="path")
PANELS_PARAM = param(
    "panels", STRING, "Comma-separated panel ids, as `/api/v1/panels` lists them, answered in "
    "that order (repeats once). Default: every panel.", example="total_cost,cost_by_model")
LOG_PARAMS = [
    param("event", STRING, "Only this event name, e.g. `api_error`."),
    param("q", STRING, "Only events with this text anywhere (case-insensitive)."),
    param("after", {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
          "A `cursor` from an earlier answer: only the events stored since (live tail)."),
    param("limit", {"type": "integer", "minimum": 1, "maximum": logs.MAX_LIMIT,
                    "default": 100}, "At most this many events."),
]


def panel_ids(value: str | None) -> list[str]:
    """The panel ids of `/api/v1/dashboard`'s `panels` (every panel without it), each once,
    in their order; an unknown one is a 404, none at all a 400."""
    if value is None:
        return [p.id for p in PANELS]
    ids = list(dict.fromkeys(i.strip() for i in value.split(",") if i.strip()))
    if not ids:
        raise BadQuery("'panels' names no panel: give ids as GET /api/v1/panels lists "
                         "them, comma-separated")
    for i in ids:
        if i not in PANELS_BY_ID:
            raise NotFound(f"no panel {i[:100]!r}: GET /api/v1/panels lists them")
    return ids


def catalogue() -> dict[str, Any]:
    return {"panels": [p.as_dict() for p in PANELS]}


def _json(data: Any) -> ApiJSON:
    return ApiJSON(data, headers=JSON_HEADERS)


def setup_lines(ctx: WebContext) -> list[str]:
    """The `ccotel env` lines for this server's real ports."""
    from ccotel.claude.setup import as_shell, claude_env

    r = ctx.running
    settings = ctx.settings
    if r is None:
        return as_shell(claude_env()).splitlines()
    host = "localhost" if r.host in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::") \
        else r.host
    env = claude_env(host=host, grpc_port=r.grpc_port, http_port=r.http_port,
                     token="<your token>" if settings is not None and settings.token else None,
                     tls=settings is not None and settings.tls_cert is not None)
    return as_shell(env).splitlines()


def _translator(request: Request) -> i18n.Translator:
    return i18n.Translator(i18n.choose(request.query_params.get("lang"),
                                       request.headers.get("accept-language")))


def api_json(data: Any) -> ApiJSON:
    """A JSON answer of the dashboard's API (not cached)."""
    return _json(data)


def render_page(request: Request, template: str, **values: Any) -> HTMLResponse:
    """A page that draws itself from the API: the template with the UI strings in the
    request's language."""
    t = _translator(request)
    html = _env.get_template(template).render(
        version=__version__, t=t, config={"lang": t.lang, "strings": t.table}, **values)
    return HTMLResponse(html, headers=PAGE_HEADERS)


def routes(ctx: WebContext) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        empty = await ctx.read(logs.store_empty)
        since = None if empty else await ctx.read(logs.data_since)
        t = _translator(request)
        html = _env.get_template("dashboard.html").render(
            version=__version__, panels=PANELS, empty=empty, setup=setup_lines(ctx), t=t,
            config={"panels": catalogue()["panels"], "setup": setup_lines(ctx),
                    "events": list(EVENTS), "since": since, "lang": t.lang,
                    "strings": t.table})
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def session_page(request: Request) -> Response:
        return render_page(request, "session.html", session_id=request.path_params["session_id"])

    @operation("The panel catalogue, in layout order.", obj({"panels": array(PANEL_ENTRY)}),
               errors=())
    async def panel_list(request: Request) -> Response:
        return _json(catalogue())

    @operation("One panel's data for the range and filters; `data` depends on `kind`.", PANEL,
               params=[PANEL_ID, *QUERY_PARAMS], errors=(400, 404))
    async def panel(request: Request) -> Response:
        panel_id = request.path_params["panel_id"]
        if panel_id not in PANELS_BY_ID:
            raise NotFound(f"no panel {panel_id!r}: GET /api/v1/panels lists them")
        q = Query.parse(dict(request.query_params))
        return _json(await ctx.read(panel_data.panel_data, panel_id, q))

    @operation("Several panels' data for the same range and filters, read together: "
               "each as `/api/v1/panels/<id>` gives it, but the reads they share (the "
               "usage sums, the attribution breakdowns by named dimensions) run once.",
               obj({**RANGE, "panels": array(PANEL)}, required=["from", "to", "panels"]),
               params=[PANELS_PARAM, *QUERY_PARAMS], errors=(400, 404))
    async def dashboard(request: Request) -> Response:
        ids = panel_ids(request.query_params.get("panels"))
        q = Query.parse(dict(request.query_params))
        return _json({"from": Query.iso(q.start), "to": Query.iso(q.end),
                      "panels": await ctx.read(panel_data.panels_data, ids, q)})

    @operation("Events, newest first.", obj({**RANGE, **LOG_PAGE}),
               params=[*QUERY_PARAMS, *LOG_PARAMS])
    async def log_events(request: Request) -> Response:
        params = dict(request.query_params)
        q = Query.parse(params)
        after = parse_int(params.get("after"), "after")
        limit = parse_int(params.get("limit"), "limit", default=100, minimum=1,
                          maximum=logs.MAX_LIMIT)
        result = await ctx.read(lambda cur: logs.events(
            cur, q, event=params.get("event") or None, text=params.get("q") or None,
            after=after, limit=limit or 100))
        return _json({"from": Query.iso(q.start), "to": Query.iso(q.end), **result})

    @operation("One session's totals, timeline and spans.", SESSION, errors=(404,),
               params=[param("session_id", STRING, "A `session.id`.", where="path")])
    async def session(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        try:
            return _json(await ctx.read(sessions.session, session_id))
        except sessions.NoSuchSession:
            raise NotFound(f"no telemetry for session {session_id!r}") from None

    @operation("The values the range holds for each filter, most used first.", FILTERS,
               params=QUERY_PARAMS)
    async def filters(request: Request) -> Response:
        q = Query.parse(dict(request.query_params))
        return _json({"from": Query.iso(q.start), "to": Query.iso(q.end),
                      **await ctx.read(logs.filters, q),
                      "dimensions": await ctx.read(attribution.filter_values, q)})

    return [
        Route("/", page),
        Route("/sessions/{session_id}", session_page),
        Route("/api/v1/panels", panel_list),
        Route("/api/v1/panels/{panel_id}", panel),
        Route("/api/v1/dashboard", dashboard),
        Route("/api/v1/logs", log_events),
        Route("/api/v1/sessions/{session_id}", session),
        Route("/api/v1/filters", filters),
        Mount("/static", StaticFiles(directory=str(WEB.joinpath("static"))), name="static"),
    ]

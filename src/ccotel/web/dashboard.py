"""The dashboard: its pages, and the JSON API the pages are drawn from.

Pages are thin shells: the browser fetches every number from the same `/api/v1/...`
endpoints a script would use, so the page and the API cannot disagree.

    GET /                          the dashboard (Grafana URL parameters: from, to,
                                   refresh, var-user, var-model, var-session,
                                   var-terminal, var-version; and lang=en|ja)
    GET /sessions/<id>             one session: its interactions and its timeline
    GET /api/v1/panels             the panel catalogue
    GET /api/v1/panels/<id>        one panel's data for the range and filters
    GET /api/v1/logs               events; event=, q=, after=<cursor>, limit=
    GET /api/v1/sessions/<id>      one session's totals, timeline and spans
    GET /api/v1/filters            values seen in the range for each filter
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ccotel import __version__
from ccotel.claude.catalogue import EVENTS
from ccotel.panels import PANELS, PANELS_BY_ID
from ccotel.query import BadQuery, Query
from ccotel.store import logs, panels, sessions
from ccotel.web import i18n
from ccotel.web.errors import NotFound

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


def catalogue() -> dict[str, Any]:
    return {"panels": [p.as_dict() for p in PANELS]}


def _int(value: str | None, name: str, *, default: int | None = None) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(value)  # type: ignore[arg-type]
    except ValueError:
        raise BadQuery(f"{name}={value!r} is not a whole number") from None


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data, headers=JSON_HEADERS)


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
        t = _translator(request)
        html = _env.get_template("session.html").render(
            version=__version__, session_id=request.path_params["session_id"], t=t,
            config={"lang": t.lang, "strings": t.table})
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def panel_list(request: Request) -> Response:
        return _json(catalogue())

    async def panel(request: Request) -> Response:
        panel_id = request.path_params["panel_id"]
        if panel_id not in PANELS_BY_ID:
            raise NotFound(f"no panel {panel_id!r}: GET /api/v1/panels lists them")
        q = Query.parse(dict(request.query_params))
        return _json(await ctx.read(panels.panel_data, panel_id, q))

    async def log_events(request: Request) -> Response:
        params = dict(request.query_params)
        q = Query.parse(params)
        after = _int(params.get("after"), "after")
        limit = _int(params.get("limit"), "limit", default=100)
        result = await ctx.read(lambda cur: logs.events(
            cur, q, event=params.get("event") or None, text=params.get("q") or None,
            after=after, limit=limit or 100))
        return _json({"from": Query.iso(q.start), "to": Query.iso(q.end), **result})

    async def session(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        try:
            return _json(await ctx.read(sessions.session, session_id))
        except sessions.NoSuchSession:
            raise NotFound(f"no telemetry for session {session_id!r}") from None

    async def filters(request: Request) -> Response:
        q = Query.parse(dict(request.query_params))
        return _json({"from": Query.iso(q.start), "to": Query.iso(q.end),
                      **await ctx.read(logs.filters, q)})

    return [
        Route("/", page),
        Route("/sessions/{session_id}", session_page),
        Route("/api/v1/panels", panel_list),
        Route("/api/v1/panels/{panel_id}", panel),
        Route("/api/v1/logs", log_events),
        Route("/api/v1/sessions/{session_id}", session),
        Route("/api/v1/filters", filters),
        Mount("/static", StaticFiles(directory=str(WEB.joinpath("static"))), name="static"),
    ]

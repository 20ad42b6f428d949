"""`GET /api/v1/alerts`: the rules `ccotel serve` evaluates, the alerts pending or firing
now, and the recent transitions (from the store, so they survive restarts)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ccotel.alerts import evaluate
from ccotel.alerts.rules import AlertRules, Rule
from ccotel.query import BadQuery, parse_int
from ccotel.web.jsonbody import ApiJSON
from ccotel.web.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    COUNT,
    NUMBER,
    STRING,
    TIME,
    array,
    nullable,
    obj,
    operation,
    param,
)

_STATE = {"type": "string", "enum": ["pending", "firing", "resolved"]}
RULE = obj({"name": STRING, "kind": {"type": "string",
                                     "enum": ["spend", "limit", "spike", "silence"]},
            "condition": ANY_OBJECT, "notify": array(STRING), "for_s": NUMBER,
            "repeat_s": NUMBER, "block": BOOLEAN, "severity": STRING, "summary": STRING,
            "evaluated": BOOLEAN})
ACTIVE = obj({"rule": STRING, "key": STRING, "state": _STATE, "value": nullable(NUMBER),
              "message": STRING, "since": TIME, "fired_at": nullable(TIME),
              "notified_at": nullable(TIME)})
HISTORY = obj({"ts": TIME, "rule": STRING, "key": STRING, "state": _STATE,
               "value": nullable(NUMBER), "message": STRING})
_ITEM = obj({"rule": STRING, "message": STRING, "lift": STRING})
PROMPT = obj({"user": nullable(STRING), "warn": array(_ITEM), "block": array(_ITEM)})
ALERTS = obj({"rules": array(RULE), "active": array(ACTIVE), "history": array(HISTORY),
              "firing": COUNT})


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds") + "Z"


def describe(rule: Rule) -> dict[str, Any]:
    condition = {k: _plain(v) for k, v in asdict(rule.condition).items() if k != "kind"}
    return {"name": rule.name, "kind": rule.kind, "condition": condition,
            "notify": list(rule.notify), "for_s": rule.for_.total_seconds(),
            "repeat_s": rule.repeat.total_seconds(), "block": rule.block,
            "severity": rule.severity, "summary": rule.summary,
            "evaluated": True}


def _read(con: Any, limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    active = evaluate.state_rows(con)
    for row in active:
        for k in ("since", "fired_at", "notified_at"):
            row[k] = _time(row[k])
    history = evaluate.history_rows(con, limit)
    for row in history:
        row["ts"] = _time(row["ts"])
    return active, history


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx.alerts` holds the server's rules."""

    @operation("The alert rules, the alerts pending or firing, and recent transitions.",
               ALERTS, params=[param("limit", COUNT, "How many transitions (default 50, "
                                                     "at most 1000).", example=20)])
    async def alerts(request: Request) -> Response:
        limit = parse_int(request.query_params.get("limit"), "limit", default=50,
                          minimum=0, maximum=1000)
        rules: AlertRules = getattr(ctx, "alerts", None) or AlertRules()
        active, history = await ctx.read(_read, limit)
        return ApiJSON({"rules": [describe(r) for r in rules.rules], "active": active,
                        "history": history,
                        "firing": sum(1 for a in active if a["state"] == "firing")})

    @operation("For a prompt hook: the firing budget alerts of a user (or of a session's "
               "user) and of the total, split into warnings and blocks.", PROMPT,
               params=[param("user", STRING, "`user.id` or `user.email`."),
                       param("session", STRING, "`session.id`: its user, when `user` is "
                                                "not given.")])
    async def prompt(request: Request) -> Response:
        user = request.query_params.get("user") or None
        session = request.query_params.get("session") or None
        for name, value in (("user", user), ("session", session)):
            if value is not None and len(value) > 512:
                raise BadQuery(f"{name} is longer than 512 characters")
        rules: AlertRules = getattr(ctx, "alerts", None) or AlertRules()
        return ApiJSON(await ctx.read(lambda con: evaluate.prompt_check(
            con, rules, user=user, session=session, now=evaluate.utcnow())))

    return [Route("/api/v1/alerts", alerts, methods=["GET"]),
            Route("/api/v1/alerts/prompt", prompt, methods=["GET"])]

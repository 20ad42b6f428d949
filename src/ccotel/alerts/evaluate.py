"""Evaluate the rules against the store, keep each alert's state there, say what to send.

Every evaluation reads stored rows (never in-memory counters), so a restart or a Claude Code
counter reset changes nothing; the state of each rule and key (a user, team, model, ... or
'' for a total) lives in `alert_state`, so a restart neither forgets an alert nor sends it
again. Transitions: (none) -> pending -> firing -> resolved, with `for:` between pending and
firing (0: straight to firing); a firing alert is sent again only after the rule's `repeat`.
Each transition is kept in `alert_history`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import duckdb

from ccotel.alerts.rules import (
    AlertRules,
    Limit,
    Rule,
    Silence,
    Spend,
    Spike,
    format_duration,
)
from ccotel.store import queries
from ccotel.store.writing import writes

if TYPE_CHECKING:
    from ccotel.store.writer import Writer

log = logging.getLogger("ccotel.alerts")


@dataclass(frozen=True)
class Finding:
    """One key for which a rule's condition holds now."""

    key: str
    value: float
    message: str


@dataclass(frozen=True)
class Notification:
    rule: Rule
    key: str
    status: str            # firing / resolved
    value: float | None
    message: str
    since: datetime
    at: datetime


def utcnow() -> datetime:
    """The store's time: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def period_start(per: str, now: datetime) -> datetime:
    """Start of the current UTC day, ISO week (Monday) or month."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if per == "day":
        return day
    if per == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _json_path(attribute: str) -> str:
    return f'$."{attribute}"'   # the validator allows no quote in an attribute key


def _who(by: str, key: str) -> str:
    return "" if by == "total" else f" of {by} {key or '(none)'}"


def findings(con: duckdb.DuckDBPyConnection, rule: Rule, rules: AlertRules,
             now: datetime) -> list[Finding]:
    """The keys for which `rule` holds at `now`, read from the stored rows."""
    c = rule.condition
    if isinstance(c, Spend):
        start = period_start(c.per, now)
        if c.by in ("team", "repo"):
            rows = queries.run(con, "alerts_spend_attribute", **{
                "from": start, "to": now, "path": _json_path(rules.attributes[c.by]),
                "over": c.over}).fetchall()
        else:
            rfrom, rto = queries.window(con, start, now)
            rows = queries.run(con, "alerts_spend", **{
                "from": start, "to": now, "rollup_from": rfrom, "rollup_to": rto,
                "by": c.by, "over": c.over}).fetchall()
        out = []
        for key, email, cost in rows:
            cost = Decimal(cost)
            who = _who(c.by, email or key if c.by == "user" else key)
            out.append(Finding(key, float(cost), f"Claude Code spend{who} this {c.per} "
                                                 f"(UTC) is ${cost.normalize():f}, over the "
                                                 f"${c.over} budget"))
        return out
    if isinstance(c, Spike):
        rows = queries.run(con, "alerts_spike", **{"from": now - c.window, "to": now,
                                                   "by": c.by}).fetchall()
        out = []
        for key, requests, errors, retries, refusals in rows:
            if c.of == "error_rate":
                if not requests:
                    continue
                value = errors / requests
                text = f"{errors} of {requests} API requests failed ({value:.0%})"
            else:
                value = float(retries if c.of == "retries_exhausted" else refusals)
                text = f"{value:g} {c.of.replace('_', ' ')} events"
            if value > c.over:
                window = format_duration(c.window)
                out.append(Finding(key, value, f"{text}{_who(c.by, key)} in the last "
                                               f"{window} (threshold {c.over:g})"))
        return out
    if isinstance(c, Silence):
        rows = queries.run(
            con, "alerts_silence", by=c.by, path=_json_path(rules.attributes["machine"]),
            seen_from=now - c.seen_within, quiet_from=now - c.after).fetchall()
        return [Finding(key, (now - last).total_seconds() / 3600,
                        f"no Claude Code telemetry from {c.by} {key} since "
                        f"{last:%Y-%m-%d %H:%M} UTC, {_ago(now - last)} ago)")
                for key, last in rows]
    assert isinstance(c, Limit)
    return _limit_findings(con, c, now)


def _limit_findings(con: duckdb.DuckDBPyConnection, c: Limit, now: datetime) -> list[Finding]:
    """Accounts whose official plan window (from the limits ledger) is used over
    `used_over` percent, or (`runs_out`) projected to run out before it resets. ccotel's
    own block (API-key users) has no percentage: it is not a plan limit."""
    from ccotel.limits import ledger

    out = []
    for entry in ledger.accounts(con, now):
        w = entry.get(c.plan)
        if not isinstance(w, dict) or w.get("source") != "official":
            continue
        used = w.get("used_percentage")
        if c.used_over is not None and used is not None and used > c.used_over:
            out.append(Finding(entry["user"], float(used),
                               f"{entry['user']} has used {used:g}% of the {c.plan} plan "
                               f"limit (threshold {c.used_over:g}%), resets "
                               f"{w.get('resets_at')}"))
        elif c.runs_out and w.get("projected_exhaustion"):
            out.append(Finding(entry["user"], float(used or 0),
                               f"{entry['user']} runs out of the {c.plan} plan limit at "
                               f"{w['projected_exhaustion']}, before it resets at "
                               f"{w.get('resets_at')}"))
    return out


def _ago(td: timedelta) -> str:
    """Roughly, in its largest unit: 8h, 3d."""
    seconds = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def step(writer: Writer, rules: AlertRules, now: datetime) -> list[Notification]:
    """One evaluation of every rule: the findings read on a reader's cursor, then the
    stored state and history moved on in one of the writer's transactions; return the
    notifications it decided to send."""
    cur = writer.cursors()
    try:
        found = {rule.name: {f.key: f for f in findings(cur, rule, rules, now)}
                 for rule in rules.rules}
    finally:
        cur.close()
    return writer.write_sync(lambda con: transitions(con, rules, found, now))


@writes
def transitions(con: duckdb.DuckDBPyConnection, rules: AlertRules,
                found: dict[str, dict[str, Finding]], now: datetime) -> list[Notification]:
    """Move each alert's stored state on from what was `found` (rule name -> key ->
    finding), keeping every transition in the history; return what to send."""
    by_name = {r.name: r for r in rules.rules}
    state = {(row[0], row[1]): row for row in queries.run(con, "alerts_state").fetchall()}
    out: list[Notification] = []
    def history(rule: str, key: str, status: str, value: float | None, msg: str) -> None:
        con.execute("INSERT INTO alert_history VALUES (?, ?, ?, ?, ?, ?)",
                    [now, rule, key, status, value, msg])

    for (name, key), (_, _, st, value, msg, since, _fired, _notified) in state.items():
        rule = by_name.get(name)
        if rule is not None and key in found[name]:
            continue
        con.execute("DELETE FROM alert_state WHERE rule = ? AND key = ?", [name, key])
        if rule is not None and st == "firing":
            history(name, key, "resolved", value, msg)
            out.append(Notification(rule, key, "resolved", value, msg, since, now))
    for name, keyed in found.items():
        rule = by_name[name]
        for key, f in keyed.items():
            old = state.get((name, key))
            since = old[5] if old else now
            if old is None or old[2] == "pending":
                if now - since >= rule.for_:
                    con.execute("INSERT OR REPLACE INTO alert_state VALUES "
                                "(?, ?, 'firing', ?, ?, ?, ?, ?)",
                                [name, key, f.value, f.message, since, now, now])
                    history(name, key, "firing", f.value, f.message)
                    out.append(Notification(rule, key, "firing", f.value, f.message,
                                            since, now))
                elif old is None:
                    con.execute("INSERT INTO alert_state VALUES "
                                "(?, ?, 'pending', ?, ?, ?, NULL, NULL)",
                                [name, key, f.value, f.message, now])
                    history(name, key, "pending", f.value, f.message)
                continue
            notified = old[7]
            repeat = notified is None or now - notified >= rule.repeat
            con.execute("UPDATE alert_state SET value = ?, message = ?, notified_at = ? "
                        "WHERE rule = ? AND key = ?",
                        [f.value, f.message, now if repeat else notified, name, key])
            if repeat:
                out.append(Notification(rule, key, "firing", f.value, f.message,
                                        since, now))
    return out


class Evaluator:
    """Runs `step` every `interval` off the event loop, through the store's writer, and
    hands the notifications to `send` (which must not block)."""

    def __init__(self, rules: AlertRules, writer: Writer,
                 send: Callable[[list[Notification]], None], interval: timedelta,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.rules = rules
        self.writer = writer
        self.send = send
        self.interval = interval
        self.now = now

    def evaluate(self) -> list[Notification]:
        return step(self.writer, self.rules, self.now())

    async def run(self) -> None:
        while True:
            try:
                self.send(await asyncio.to_thread(self.evaluate))
            except (duckdb.Error, ArithmeticError) as exc:
                log.warning("alert evaluation failed (next try in %s): %s", self.interval, exc)
            await asyncio.sleep(self.interval.total_seconds())


def state_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return queries.rows(con, "alerts_state")


def history_rows(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[dict[str, Any]]:
    return queries.rows(con, "alerts_history", limit=limit)


def next_period(per: str, now: datetime) -> datetime:
    """When the current UTC day, ISO week or month ends (a spend budget starts over)."""
    start = period_start(per, now)
    if per == "day":
        return start + timedelta(days=1)
    if per == "week":
        return start + timedelta(weeks=1)
    return (start + timedelta(days=32)).replace(day=1)


def prompt_check(con: duckdb.DuckDBPyConnection, rules: AlertRules, *, user: str | None,
                 session: str | None, now: datetime) -> dict[str, Any]:
    """What a prompt hook needs: the firing spend and limit alerts that concern `user` (or
    the user of `session`): per-user ones of that user and totals. Each says whether it
    blocks (`block: true`) and how it is lifted."""
    email = None
    if session and not user:
        user, email = queries.run(con, "alerts_session_user", session=session).fetchone() \
            or (None, None)
    by_name = {r.name: r for r in rules.rules}
    warn: list[dict[str, Any]] = []
    block: list[dict[str, Any]] = []
    for row in state_rows(con):
        rule = by_name.get(row["rule"])
        if rule is None or row["state"] != "firing" or rule.kind not in ("spend", "limit"):
            continue
        by = getattr(rule.condition, "by", "user")
        if not (by == "total" or (by == "user" and row["key"] in (user, email))):
            continue
        lift = f"raise or remove the rule {rule.name!r} in the alerts file"
        if isinstance(rule.condition, Spend):
            lift += f", or wait until {next_period(rule.condition.per, now):%Y-%m-%d %H:%M} UTC"
        item = {"rule": rule.name, "message": row["message"], "lift": lift}
        (block if rule.block else warn).append(item)
    return {"user": user, "warn": warn, "block": block}

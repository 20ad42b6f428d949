"""What a reader asks for: a time range and filters, parsed from user input.

Accepts what a Grafana user writes (`now-6h`, `now`, epoch milliseconds) as well as
RFC 3339, so dashboard links, the API and the CLI share one grammar. Every parser here
answers bad input with `BadQuery` (a 400 on the API), never with an error from deeper down:
times are kept inside the years the store and Python's arithmetic can both hold, and whole
numbers inside the bounds the caller names (DuckDB refuses integers past 128 bits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ccotel.errors import UsageError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)\s*$")
_RELATIVE = re.compile(r"^now(?:\s*-\s*(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y))?(?:/([smhdwMy]))?$")
# No telemetry predates the Unix epoch, and a year of headroom below datetime.max leaves
# room for the range arithmetic readers do (default ranges, search windows, day ends).
# Grafana-like time-series steps: about 60-150 points whatever the range (Query.step_s).
STEPS_S = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
           172800, 604800)
TARGET_POINTS = 120
MIN_TIME = datetime(1970, 1, 1)
MAX_TIME = datetime(9999, 1, 1)
INT64_MAX = 2**63 - 1


class BadQuery(UsageError, ValueError):
    """A query parameter the user has to fix."""


def parse_duration(text: str) -> timedelta:
    """`30d`, `12h`, `15m`, `90s` -> timedelta."""
    m = _DURATION.match(text or "")
    if not m:
        raise BadQuery(f"{text!r} is not a duration: use e.g. 30d, 12h, 15m")
    try:
        return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    except OverflowError:
        raise BadQuery(f"{text!r} is too long a duration") from None


def parse_int(text: str | None, name: str, *, default: int | None = None, minimum: int = 0,
              maximum: int = INT64_MAX) -> int | None:
    """A whole number in [minimum, maximum], or `default` when absent."""
    if text is None or text == "":
        return default
    t = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", t):
        raise BadQuery(f"{name}={text[:40]!r} is not a whole number")
    # Past 40 digits it is out of any range, and int() of a huge string is slow.
    value = int(t) if len(t) <= 40 else None
    if value is None or not minimum <= value <= maximum:
        raise BadQuery(f"{name}={t[:40]}{'...' if len(t) > 40 else ''} is out of range: "
                       f"use {minimum} to {maximum}")
    return value


def parse_time(text: str | None, *, now: datetime, default: datetime) -> datetime:
    """RFC 3339, epoch milliseconds, or Grafana's `now`, `now-6h`. Returns UTC, naive,
    clamped to [MIN_TIME, MAX_TIME] (nothing is stored outside it)."""
    if text is None or text == "":
        return default
    return _clamp(_parse_time(text, now=now))


def _clamp(dt: datetime) -> datetime:
    return min(max(dt, MIN_TIME), MAX_TIME)


def _parse_time(text: str, *, now: datetime) -> datetime:
    t = text.strip()
    m = _RELATIVE.match(t)
    shown = repr(text[:60])
    if m:
        value = now
        if m.group(1):
            try:
                value = now - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
            except (OverflowError, ValueError):
                raise BadQuery(f"{shown} reaches before year 1") from None
        return value
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        ms = float(t)
        try:
            return datetime.fromtimestamp(ms / 1000, tz=UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            raise BadQuery(f"{shown} is out of range for epoch milliseconds") from None
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(
            f"{shown} is not a time: use RFC 3339 (2026-01-31T12:00:00Z), "
            "epoch milliseconds, or now-6h") from None
    if dt.tzinfo is None:
        return dt
    try:
        return dt.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # an offset pushed year 1 or 9999 past the calendar's end
        return MIN_TIME if dt.year == 1 else MAX_TIME


_CORE = ("user", "session", "model", "terminal", "version")
MAX_FILTERS = 16
MAX_FILTER_VALUE = 500


def _attrib_filters(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The `var-<dimension>=<value>` parameters beyond Query's own fields, each dimension
    checked (a BadQuery names what is allowed); Grafana's "All" is no filter."""
    from ccotel.store.attribution import dimension  # the store imports this module

    out = {}
    for key, value in params.items():
        if not key.startswith("var-") or key[4:] in _CORE:
            continue
        if value in (None, "", "All", "$__all"):
            continue
        out[dimension(key[4:], "filter")] = str(value)[:MAX_FILTER_VALUE]
    if len(out) > MAX_FILTERS:
        raise BadQuery(f"at most {MAX_FILTERS} filters")
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class Query:
    """A time range [start, end) in naive UTC, plus optional filters."""

    start: datetime
    end: datetime
    user: str | None = None
    session: str | None = None
    model: str | None = None
    terminal: str | None = None
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Every other `var-<dimension>` (repo, branch, skill, team, ...; store/attribution.py),
    # as sorted (dimension, value) pairs: all must match.
    attrib: tuple[tuple[str, str], ...] = ()

    @property
    def step_s(self) -> int:
        """The step of the range's time series, in seconds (`STEPS_S`)."""
        span = (self.end - self.start).total_seconds()
        for s in STEPS_S:
            if span / s <= TARGET_POINTS:
                return s
        return STEPS_S[-1]

    @classmethod
    def parse(cls, params: dict[str, Any], *, now: datetime | None = None,
              default_range: timedelta = timedelta(hours=24)) -> Query:
        now = now or datetime.now(UTC).replace(tzinfo=None)
        end = parse_time(params.get("to"), now=now, default=now)
        start = parse_time(params.get("from"), now=now, default=_clamp(end - default_range))
        if start >= end:
            raise BadQuery("'from' must be before 'to'")

        def pick(name: str) -> str | None:
            v = params.get(name) or params.get(f"var-{name}")
            return None if v in (None, "", "All", "$__all") else str(v)

        return cls(start=start, end=end, user=pick("user"), session=pick("session"),
                   model=pick("model"), terminal=pick("terminal"), version=pick("version"),
                   attrib=_attrib_filters(params))

    def params(self) -> dict[str, Any]:
        """Named SQL parameters shared by every query file."""
        return {"from": self.start, "to": self.end, "model": self.model,
                "filters": self.filters()}

    def filters(self) -> dict[str, Any]:
        """The filters SQL applies with the `filters_match` macro (`store/sql/macros.sql`),
        as one STRUCT parameter: every filter but the model. The session-level attribution
        filters (repo, branch, team, ...) are `sdims`/`svals`, matched through the sessions
        with telemetry in [t0, t1): the store's runner finds those sessions once per query
        and passes them as `sessions` (`queries.bind_sessions`; NULL: no such filter)."""
        from ccotel.store.attribution import session_level  # the store imports this module

        session = [(d, v) for d, v in self.attrib if session_level(d)]
        return {"user": self.user, "session": self.session, "terminal": self.terminal,
                "version": self.version, "sdims": [d for d, _ in session],
                "svals": [v for _, v in session], "t0": self.start, "t1": self.end,
                "sessions": None}

    @staticmethod
    def iso(dt: datetime) -> str:
        return dt.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")

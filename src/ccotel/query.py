"""What a reader asks for: a time range and filters, parsed from user input.

Accepts what a Grafana user writes (`now-6h`, `now`, epoch milliseconds) as well as
RFC 3339, so dashboard links, the API and the CLI share one grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ccotel.errors import UsageError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)\s*$")
_RELATIVE = re.compile(r"^now(?:\s*-\s*(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y))?(?:/([smhdwMy]))?$")


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


def parse_time(text: str | None, *, now: datetime, default: datetime) -> datetime:
    """RFC 3339, epoch milliseconds, or Grafana's `now`, `now-6h`. Returns UTC, naive."""
    if text is None or text == "":
        return default
    t = text.strip()
    m = _RELATIVE.match(t)
    if m:
        value = now
        if m.group(1):
            try:
                value = now - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
            except (OverflowError, ValueError):
                raise BadQuery(f"{text!r} reaches before year 1") from None
        return value
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        ms = float(t)
        try:
            return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            raise BadQuery(f"{text!r} is out of range for epoch milliseconds") from None
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(
            f"{text!r} is not a time: use RFC 3339 (2026-01-31T12:00:00Z), "
            "epoch milliseconds, or now-6h") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


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

    @classmethod
    def parse(cls, params: dict[str, Any], *, now: datetime | None = None,
              default_range: timedelta = timedelta(hours=24)) -> Query:
        now = now or datetime.now(timezone.utc).replace(tzinfo=None)
        end = parse_time(params.get("to"), now=now, default=now)
        start = parse_time(params.get("from"), now=now, default=end - default_range)
        if start >= end:
            raise BadQuery("'from' must be before 'to'")

        def pick(name: str) -> str | None:
            v = params.get(name) or params.get(f"var-{name}")
            return None if v in (None, "", "All", "$__all") else str(v)

        return cls(start=start, end=end, user=pick("user"), session=pick("session"),
                   model=pick("model"), terminal=pick("terminal"), version=pick("version"))

    def params(self) -> dict[str, Any]:
        """Named SQL parameters shared by every query file."""
        return {"from": self.start, "to": self.end, "user": self.user, "session": self.session,
                "model": self.model, "terminal": self.terminal, "version": self.version}

    @staticmethod
    def iso(dt: datetime) -> str:
        return dt.replace(tzinfo=timezone.utc).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")

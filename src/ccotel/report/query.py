"""What a report asks for: dates in a time zone, a source, and how to group.

ccusage's grammar: `--since`/`--until` are calendar dates (YYYY-MM-DD or YYYYMMDD),
inclusive, in `--tz` (default: the system time zone). They become a half-open UTC range
for SQL, computed with zoneinfo so DST days have their real length. A day whose edge falls
outside the years Python can count (9999-12-31's end, 0001-01-01 east of UTC) leaves the
range open on that side.

Filters are Grafana's `var-<dimension>=<value>` (any attribution dimension:
`store/attribution.py`), and `breakdown` names the dimension each report row is split by.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccotel.query import BadQuery, parse_time
from ccotel.store.attribution import dimension

SOURCES = ("all", "telemetry", "transcript")
_MAX_FILTERS = 16
_MAX_VALUE = 500
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


def parse_date(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    m = _DATE.match(text.strip())
    if not m:
        raise BadQuery(f"--{name} {text!r} is not a date: use YYYY-MM-DD or YYYYMMDD")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise BadQuery(f"--{name} {text!r}: {exc}") from None


def filter_params(filters: tuple[str, ...]) -> dict[str, str]:
    """`--filter DIM=VALUE` options as the `var-DIM` query parameters they stand for."""
    out = {}
    for f in filters:
        dim, sep, value = f.partition("=")
        if not sep or not dim.strip():
            raise BadQuery(f"--filter {f[:60]!r} is not DIM=VALUE (e.g. repo=github.com/o/r)")
        out[f"var-{dim.strip()}"] = value
    return out


def local_timezone() -> str:
    """The system's IANA zone name (what ccusage groups by when no --tz is given)."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo" + os.sep in target:
            return target.split("zoneinfo" + os.sep, 1)[1]
    except OSError:
        pass
    try:
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    except OSError:
        pass
    return "UTC"


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadQuery(f"--tz {name[:60]!r} is not a time zone: use an IANA name such as UTC, "
                       "Europe/Paris or Asia/Tokyo") from None


@dataclass(frozen=True)
class ReportQuery:
    since: date | None = None
    until: date | None = None
    tz: str = "UTC"
    source: str = "all"
    now: datetime | None = None  # naive UTC; blocks use it for the active window
    filters: tuple[tuple[str, str], ...] = ()  # (dimension, value), all must match
    breakdown: str | None = None  # the dimension rows are split by (None: per model)

    @classmethod
    def parse(cls, params: dict[str, Any]) -> ReportQuery:
        tz = params.get("tz") or local_timezone()
        check_timezone(tz)
        source = params.get("source") or "all"
        if source not in SOURCES:
            raise BadQuery(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
        since = parse_date(params.get("since"), "since")
        until = parse_date(params.get("until"), "until")
        if since and until and since > until:
            raise BadQuery("--since must not be after --until")
        current = datetime.now(UTC).replace(tzinfo=None)
        now = parse_time(str(params.get("now") or ""), now=current, default=current)
        filters = tuple(sorted(
            (dimension(k[4:], "filter"), str(v)[:_MAX_VALUE]) for k, v in params.items()
            if k.startswith("var-") and v not in (None, "", "All", "$__all")))
        if len(filters) > _MAX_FILTERS:
            raise BadQuery(f"at most {_MAX_FILTERS} filters")
        breakdown = params.get("breakdown")
        breakdown = dimension(breakdown, "--breakdown") if breakdown else None
        return cls(since, until, tz, source, now if params.get("now") else None, filters,
                   breakdown)

    def as_params(self) -> dict[str, str]:
        """The query string that reproduces this query on a server."""
        out = {"tz": self.tz, "source": self.source}
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.now:
            out["now"] = self.now.isoformat()
        for dim, value in self.filters:
            out[f"var-{dim}"] = value
        if self.breakdown:
            out["breakdown"] = self.breakdown
        return out

    def utc_range(self) -> tuple[datetime | None, datetime | None]:
        zone = check_timezone(self.tz)

        def midnight(d: date, days: int = 0) -> datetime | None:
            try:
                d += timedelta(days=days)
                local = datetime(d.year, d.month, d.day, tzinfo=zone)
                return local.astimezone(UTC).replace(tzinfo=None)
            except OverflowError:  # past the calendar's end: no bound on that side
                return None

        start = midnight(self.since) if self.since else None
        end = midnight(self.until, 1) if self.until else None
        return start, end

    def params(self) -> dict[str, Any]:
        """Named SQL parameters every report_*.sql file takes (`store.queries.REPORT`)."""
        start, end = self.utc_range()
        return {"from": start, "to": end, "source": self.source}

    def attrib_filters(self) -> dict[str, Any]:
        """The `--filter`s of the attributed reports, as attrib_requests takes them."""
        return {"fdims": [d for d, _ in self.filters], "fvals": [v for _, v in self.filters]}

    def current_time(self) -> datetime:
        return self.now or datetime.now(UTC).replace(tzinfo=None)

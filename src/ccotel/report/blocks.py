"""5-hour usage windows ("session blocks"), as ccusage draws them. Pure: rows in, dicts out.

Claude plans meter usage in 5-hour windows that open with the first request after the
previous window closed. ccusage approximates a window as starting at the hour of its first
request; a new one starts when a request comes more than 5 hours after the window's
start or after the previous request; an idle stretch longer than 5 hours shows as a gap.
The window still open (`isActive`) gets a burn rate and a projection to its end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=5)


@dataclass
class _Model:
    input: int = 0
    output: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    cost: float = 0.0
    unpriced: bool = False


@dataclass
class Block:
    start: datetime
    end: datetime
    first: datetime | None = None
    last: datetime | None = None
    entries: int = 0
    input: int = 0
    output: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    cost: float = 0.0
    models: dict[str, _Model] = field(default_factory=dict)
    gap: bool = False

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_creation + self.cache_read

    def add(self, ts: datetime, model: str | None, i: int, o: int, cc: int, cr: int,
            cost: float | None) -> None:
        self.first = self.first or ts
        self.last = ts
        self.entries += 1
        self.input += i
        self.output += o
        self.cache_creation += cc
        self.cache_read += cr
        self.cost += cost or 0.0
        if model:
            m = self.models.setdefault(model, _Model())
            m.input += i
            m.output += o
            m.cache_creation += cc
            m.cache_read += cr
            m.cost += cost or 0.0
            m.unpriced = m.unpriced or cost is None


def _floor_hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def build_blocks(rows: Iterable[tuple[Any, ...]]) -> list[Block]:
    """Windows from (ts, model, input, output, cache_creation, cache_read, cost) rows
    sorted by ts (naive UTC)."""
    blocks: list[Block] = []
    current: Block | None = None
    for ts, model, i, o, cc, cr, cost in rows:
        if current is not None:
            assert current.last is not None
            since_last = ts - current.last
            if ts - current.start > WINDOW or since_last > WINDOW:
                blocks.append(current)
                if since_last > WINDOW:
                    blocks.append(Block(current.last + WINDOW, ts, gap=True))
                current = None
        if current is None:
            start = _floor_hour(ts)
            current = Block(start, start + WINDOW)
        current.add(ts, model, i, o, cc, cr, cost)
    if current is not None:
        blocks.append(current)
    return blocks


def _iso(dt: datetime) -> str:
    return dt.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def block_json(b: Block, now: datetime) -> dict[str, Any]:
    """ccusage's `blocks --json` object for one window."""
    active = (not b.gap and b.last is not None and now - b.last < WINDOW and now < b.end)
    burn = projection = None
    if active and b.first is not None and b.last is not None:
        minutes = (b.last - b.first).total_seconds() / 60
        if minutes > 0:
            burn = {"tokensPerMinute": b.total / minutes,
                    "tokensPerMinuteForIndicator": (b.input + b.output) / minutes,
                    "costPerHour": b.cost / minutes * 60}
            remaining = round((b.end - now).total_seconds() / 60)
            projection = {
                "totalTokens": round(b.total + burn["tokensPerMinute"] * remaining),
                "totalCost": round(b.cost + burn["costPerHour"] / 60 * remaining, 2),
                "remainingMinutes": max(remaining, 0),
            }
    ordered = sorted(b.models.items(), key=lambda kv: -kv[1].cost)
    return {
        "id": ("gap-" if b.gap else "") + _iso(b.start),
        "startTime": _iso(b.start),
        "endTime": _iso(b.end),
        "actualEndTime": _iso(b.last) if b.last else None,
        "isActive": active,
        "isGap": b.gap,
        "entries": b.entries,
        "tokenCounts": {"inputTokens": b.input, "outputTokens": b.output,
                        "cacheCreationInputTokens": b.cache_creation,
                        "cacheReadInputTokens": b.cache_read},
        "totalTokens": b.total,
        "costUSD": b.cost,
        "models": [name for name, _ in ordered],
        "modelBreakdowns": [
            {"modelName": name, "inputTokens": m.input, "outputTokens": m.output,
             "cacheCreationTokens": m.cache_creation, "cacheReadTokens": m.cache_read,
             "cost": m.cost, **({"missingPricing": True} if m.unpriced else {})}
            for name, m in ordered],
        "burnRate": burn,
        "projection": projection,
    }

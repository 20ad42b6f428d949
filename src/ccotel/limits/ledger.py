"""The limits ledger: per account, where its 5-hour and 7-day windows stand, across every
machine that sent a snapshot, for `GET /api/v1/limits`, the dashboard and `ccotel live`.

For each official window (Pro/Max): the latest used %, its reset time, the elapsed share
of the window, pace (used % / elapsed %: above 1 runs out before the reset), the burn rate
(% per hour, from where the window stood up to an hour (5-hour) or a day (7-day) earlier,
else the window's average), the projected time the limit is reached at that rate (null
when it lasts to the reset) and what the window's requests cost: `cost_per_percent` is
how much one percent of the plan is worth at API prices.

Without official numbers (API-key users) the 5-hour window is ccotel's own block
(`report/blocks.py`, ccusage's `blocks` rules), with its burn rate and projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from ccotel.report.blocks import WINDOW, block_json, build_blocks
from ccotel.store import queries

WINDOWS = {"five_hour": timedelta(hours=5), "seven_day": timedelta(days=7)}
LOOKBACK = {"five_hour": timedelta(hours=1), "seven_day": timedelta(days=1)}
MIN_RATE_SPAN = timedelta(minutes=5)  # shorter spans give a noisy rate: use the average
ACTIVE = timedelta(minutes=10)  # a session with a request this recent is active


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _epoch(dt: datetime) -> float:
    return dt.replace(tzinfo=UTC).timestamp()


def window(name: str, pct: float, resets_at: datetime, ts: datetime, now: datetime,
           from_pct: float | None = None, from_ts: datetime | None = None,
           cost: float | None = None) -> dict[str, Any]:
    """One official window as the API shows it (pure: numbers in, dict out)."""
    length = WINDOWS[name]
    start = resets_at - length
    out: dict[str, Any] = {"source": "official", "used_percentage": pct,
                           "resets_at": _iso(resets_at), "resets_at_epoch": _epoch(resets_at),
                           "updated": _iso(ts), "elapsed_percentage": None, "pace": None,
                           "percent_per_hour": None, "projected_exhaustion": None,
                           "cost_usd": cost, "cost_per_percent": None}
    if resets_at <= now:  # the window has reset since: nothing of the new one is known
        out.update(used_percentage=0.0, reset_since_update=True)
        return out
    elapsed = (now - start) / length
    out["elapsed_percentage"] = round(min(max(elapsed, 0.0), 1.0) * 100, 2)
    if elapsed > 0.01:
        out["pace"] = round(pct / 100 / elapsed, 3)
    # Burn rate in % per second: from an earlier point of this window, else its average.
    rate = None
    if from_ts is not None and from_pct is not None and ts - from_ts >= MIN_RATE_SPAN:
        rate = max(pct - from_pct, 0.0) / (ts - from_ts).total_seconds()
    elif ts > start:
        rate = pct / (ts - start).total_seconds()
    if rate is not None:
        out["percent_per_hour"] = round(rate * 3600, 3)
        if pct >= 100:
            out["projected_exhaustion"] = _iso(ts)
        elif rate > 0:
            at = ts + timedelta(seconds=(100 - pct) / rate)
            out["projected_exhaustion"] = _iso(at) if at < resets_at else None
    if cost is not None and pct > 0:
        out["cost_per_percent"] = round(cost / pct, 6)
    return out


def block_window(block: dict[str, Any], end: datetime) -> dict[str, Any]:
    """ccotel's own 5-hour block standing in for the official window (API-key users)."""
    burn = block.get("burnRate") or {}
    projection = block.get("projection") or {}
    return {"source": "block", "used_percentage": None, "resets_at": block["endTime"],
            "resets_at_epoch": _epoch(end), "cost_usd": round(block["costUSD"], 6),
            "cost_per_hour": burn.get("costPerHour"),
            "projected_cost_usd": projection.get("totalCost"),
            "tokens": block["totalTokens"], "projected_tokens": projection.get("totalTokens")}


def _requests(con: duckdb.DuckDBPyConnection, start: datetime, now: datetime,
              account: str | None) -> dict[str, list[tuple[Any, ...]]]:
    """Requests since `start` per account: (ts, model, input, output, cache_creation,
    cache_read, cost, session_id) rows in time order."""
    cur = queries.run(con, "limits_requests", **{
        "since": now - WINDOWS["seven_day"], "from": start, "now": now, "account": account})
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in cur.fetchall():
        out.setdefault(row[0], []).append(row[1:])
    return out


MIN_BURN_SPAN = timedelta(minutes=5)  # requests spread over less give no burn rate


def block_of(rows: list[tuple[Any, ...]], now: datetime) -> dict[str, Any] | None:
    """The active block of (ts, model, input, output, cache_creation, cache_read, cost,
    session_id) rows sorted by ts, as `block_json` gives it, plus its end in epoch
    seconds, its sessions and those with a request in the last `ACTIVE` (None when no
    block is active)."""
    blocks = [b for b in build_blocks(r[:7] for r in rows) if not b.gap]
    if not blocks:
        return None
    last = block_json(blocks[-1], now)
    if not last["isActive"]:
        return None
    b = blocks[-1]
    if b.first is not None and b.last is not None and b.last - b.first < MIN_BURN_SPAN:
        # A few seconds of requests say nothing about an hour: ccusage would project a
        # burst of three requests to thousands of dollars. No rate until there is a span.
        last["burnRate"] = last["projection"] = None
    last["end_epoch"] = _epoch(b.end)
    inside = [r for r in rows if r[0] >= blocks[-1].start]
    last["sessions"] = len({r[7] for r in inside})
    last["activeSessions"] = len({r[7] for r in inside if now - r[0] <= ACTIVE})
    return last


@dataclass
class _Account:
    """One account's snapshots, oldest first (limits_snapshots.sql rows as dicts)."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def latest(self, key: str) -> dict[str, Any] | None:
        return next((r for r in reversed(self.rows) if r[f"{key}_pct"] is not None), None)

    def earlier(self, key: str, last: dict[str, Any], lookback: timedelta) -> dict[str, Any]:
        """The earliest snapshot of the same window within `lookback` of `last`."""
        resets = last[f"{key}_resets_at"]
        return next(r for r in self.rows if r[f"{key}_pct"] is not None
                    and r["ts"] >= last["ts"] - lookback
                    and abs((r[f"{key}_resets_at"] - resets).total_seconds()) < 120)

    def snapshot_cost(self, start: datetime, end: datetime) -> float | None:
        """How much its sessions' own running totals grew in [start, end)."""
        before: dict[str, float] = {}
        last: dict[str, float] = {}
        for r in self.rows:
            if r["cost_usd"] is None or r["ts"] >= end:
                continue
            into = last if r["ts"] >= start else before
            into[r["session_id"]] = max(into.get(r["session_id"], 0.0), r["cost_usd"])
        if not last:
            return None
        return round(sum(max(c - before.get(s, 0.0), 0.0) for s, c in last.items()), 6)


def accounts(con: duckdb.DuckDBPyConnection, now: datetime | None = None,
             user: str | None = None) -> list[dict[str, Any]]:
    """The ledger: one entry per account (only `user`'s when given), newest first."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    since = now - WINDOWS["seven_day"]
    found: dict[str, _Account] = {}
    for r in queries.rows(con, "limits_snapshots", since=since, account=user):
        found.setdefault(r["account"], _Account(r["account"])).rows.append(r)
    # Two windows back: the current block may have started up to 5 hours ago, and where
    # it started depends on the requests before it.
    requests = _requests(con, now - 2 * WINDOW, now, user)
    # Each official window's cost, in one pass over the requests of the last 7 days.
    latest = {(a.name, name): last for a in found.values() for name in WINDOWS
              if (last := a.latest(name)) is not None}
    costs: dict[tuple[str, str], float] = {}
    if latest:
        windows = [{"account": a, "name": name, "start": r[f"{name}_resets_at"] - WINDOWS[name],
                    "end": r[f"{name}_resets_at"]} for (a, name), r in latest.items()]
        costs = {(a, name): cost for a, name, cost, _n in queries.run(
            con, "limits_window_costs", **{"windows": windows, "since": since,
                                           "from": min(w["start"] for w in windows),
                                           "now": now}).fetchall()}
    out = []
    for a in found.values():
        sessions = sorted({r["session_id"] for r in a.rows})
        entry: dict[str, Any] = {
            "user": a.name, "hosts": sorted({r["host_name"] for r in a.rows if r["host_name"]}),
            "sessions": len(sessions), "session_ids": sessions,
            "model": next((r["model"] for r in reversed(a.rows) if r["model"]), None),
            "updated": _iso(a.rows[-1]["ts"])}
        for name in WINDOWS:
            last = latest.get((a.name, name))
            if last is None:
                entry[name] = None
                continue
            resets = last[f"{name}_resets_at"]
            cost = costs.get((a.name, name))
            if cost is None:
                cost = a.snapshot_cost(resets - WINDOWS[name], resets)
            first = a.earlier(name, last, LOOKBACK[name])
            entry[name] = window(name, last[f"{name}_pct"], resets, last["ts"], now,
                                 first[f"{name}_pct"], first["ts"],
                                 None if cost is None else round(cost, 6))
        out.append(entry)
    # Accounts whose telemetry arrives without any statusline: their block only.
    for account, rows in requests.items():
        recent = [r for r in rows if now - r[0] < WINDOW]
        if account in found or not recent:
            continue
        out.append({"user": account, "hosts": [], "sessions": len({r[7] for r in recent}),
                    "session_ids": sorted({r[7] for r in recent}), "model": recent[-1][1],
                    "updated": _iso(recent[-1][0]), "five_hour": None, "seven_day": None})
    for entry in out:
        block = block_of(requests.get(entry["user"], []), now)
        if entry["five_hour"] is None and block is not None:
            entry["five_hour"] = block_window(block, datetime.fromtimestamp(
                block["end_epoch"], UTC).replace(tzinfo=None))
        entry["block"] = block
    out.sort(key=lambda e: (e["updated"] or "", e["user"]), reverse=True)
    return out


def account_cost(con: duckdb.DuckDBPyConnection, account: str, sessions: list[str],
                 start: datetime, now: datetime) -> float:
    """What the account's requests since `start` cost: its telemetry (or imported
    transcripts) when this server has any, else its sessions' statusline totals."""
    rows = _requests(con, start, now, account).get(account)
    if rows:
        return round(sum(r[6] or 0.0 for r in rows), 6)
    row = queries.run(con, "limits_snapshot_cost", **{
        "sessions": sessions, "from": start, "to": now + timedelta(seconds=1)}).fetchone()
    return round(float(row[0]) if row else 0.0, 6)


def ledger(con: duckdb.DuckDBPyConnection, user: str | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """The body of `GET /api/v1/limits`."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    users = accounts(con, now, user)
    for u in users:
        del u["session_ids"]
    return {"now": _iso(now), "users": users}


def statusline_answer(con: duckdb.DuckDBPyConnection, row: dict[str, Any],
                      day_start: float | None) -> dict[str, Any]:
    """What the statusline gets back for a snapshot: its account, the account's cost
    since the sender's local midnight on every machine, and its limits."""
    now = row["ts"]
    account = account_of(con, row["session_id"], row["host_name"], row["user_hint"])
    found = accounts(con, now, account)
    entry = found[0] if found else None
    answer: dict[str, Any] = {"user": account, "session_id": row["session_id"],
                              "today_cost_usd": None, "limits": entry}
    if entry is not None:
        sessions = entry.pop("session_ids")
        if day_start is not None:
            start = datetime.fromtimestamp(day_start, UTC).replace(tzinfo=None)
            answer["today_cost_usd"] = account_cost(con, account, sessions, start, now)
    return answer


def account_of(con: duckdb.DuckDBPyConnection, session_id: str, host: str | None,
               hint: str | None) -> str:
    """The account a session's snapshots count under (the same rule as
    limits_accounts.sql)."""
    since = datetime.now(UTC).replace(tzinfo=None) - WINDOWS["seven_day"] - timedelta(days=1)
    row = queries.run(con, "limits_account_of", s=session_id, since=since).fetchone() \
        or (None, None, None)
    email, uuid, uid = row
    return email or uuid or hint or uid or f"host:{host or '?'}"

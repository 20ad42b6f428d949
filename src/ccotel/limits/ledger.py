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

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from ccotel.report.blocks import WINDOW, block_json, build_blocks
from ccotel.store.schema import sql

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


def _requests(con: duckdb.DuckDBPyConnection, account: str, sessions: list[str],
              start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    return con.execute(sql("limits_account_requests"),
                       {"account": account, "sessions": sessions, "from": start,
                        "to": end}).fetchall()


def account_cost(con: duckdb.DuckDBPyConnection, account: str, sessions: list[str],
                 start: datetime, end: datetime) -> float:
    """What the account's requests in [start, end) cost: its telemetry (or imported
    transcripts) when this server has any, else its sessions' statusline totals."""
    rows = _requests(con, account, sessions, start, end)
    if rows:
        return round(sum(r[6] or 0.0 for r in rows), 6)
    row = con.execute(sql("limits_snapshot_cost"),
                      {"sessions": sessions, "from": start, "to": end}).fetchone()
    return round(float(row[0]) if row else 0.0, 6)


def current_block(con: duckdb.DuckDBPyConnection, account: str, sessions: list[str],
                  now: datetime) -> dict[str, Any] | None:
    """The account's active 5-hour block (ccusage's rules) with burn rate and projection,
    or None when it has had no request for 5 hours."""
    return block_of(_requests(con, account, sessions, now - 2 * WINDOW,
                              now + timedelta(seconds=1)), now)


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
    last["end_epoch"] = _epoch(blocks[-1].end)
    inside = [r for r in rows if r[0] >= blocks[-1].start]
    last["sessions"] = len({r[7] for r in inside})
    last["activeSessions"] = len({r[7] for r in inside if now - r[0] <= ACTIVE})
    return last


def accounts(con: duckdb.DuckDBPyConnection, now: datetime | None = None,
             user: str | None = None) -> list[dict[str, Any]]:
    """The ledger: one entry per account (only `user`'s when given), newest facts first."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    cur = con.execute(sql("limits_accounts"), {
        "since": now - WINDOWS["seven_day"], "active_since": now - WINDOW,
        "lookback_5h": LOOKBACK["five_hour"], "lookback_7d": LOOKBACK["seven_day"]})
    names = [d[0] for d in cur.description]
    out = []
    for r in (dict(zip(names, row)) for row in cur.fetchall()):
        account, sessions = r["account"], list(r["sessions"] or [])
        if user is not None and user != account:
            continue
        entry: dict[str, Any] = {"user": account, "hosts": [h for h in r["hosts"] if h],
                                 "sessions": len(sessions), "session_ids": sessions,
                                 "model": r["model"], "updated": _iso(r["updated"])}
        block = current_block(con, account, sessions, now)
        for name, key in (("five_hour", "five"), ("seven_day", "seven")):
            pct, resets = r[f"{key}_pct"], r[f"{key}_resets_at"]
            if pct is None or resets is None:
                entry[name] = None
                continue
            cost = account_cost(con, account, sessions, resets - WINDOWS[name],
                                min(now, resets))
            entry[name] = window(name, pct, resets, r[f"{key}_ts"], now,
                                 r[f"{key}_from_pct"], r[f"{key}_from_ts"], cost)
        if entry["five_hour"] is None and block is not None:
            entry["five_hour"] = block_window(block, datetime.fromtimestamp(
                block["end_epoch"], UTC).replace(tzinfo=None))
        entry["block"] = block
        out.append(entry)
    out.sort(key=lambda e: e["updated"] or "", reverse=True)
    return out


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
            answer["today_cost_usd"] = account_cost(con, account, sessions, start,
                                                    now + timedelta(seconds=1))
    return answer


def account_of(con: duckdb.DuckDBPyConnection, session_id: str, host: str | None,
               hint: str | None) -> str:
    """The account a session's snapshots count under (the same rule as
    limits_accounts.sql)."""
    since = datetime.now(UTC).replace(tzinfo=None) - WINDOWS["seven_day"] - timedelta(days=1)
    row = con.execute(sql("limits_account_of"), {"s": session_id, "since": since}).fetchone() \
        or (None, None, None)
    email, uuid, uid = row
    return email or uuid or hint or uid or f"host:{host or '?'}"

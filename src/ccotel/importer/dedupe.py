"""Which copy of a request to keep. Pure: rows in, decisions out.

Three ways one API response shows up more than once in transcripts:

1. One line per content block (same message id and request id). The copies can differ
   while a response streams (an early line may hold partial output tokens), so the copy
   with the most tokens wins; then, as in ccusage, the costlier one (a copy that splits
   its cache writes into 5-minute and 1-hour ones says more than the flat count), then
   one that states its speed; remaining ties keep the first seen.
2. Copies in another session's file (`claude --resume` rewrites history into the new
   session): same key, same rule.
3. Sidechain replays: a `/btw` side question or a subagent log may replay the parent's
   messages with `isSidechain: true`, the same message id and a *new* request id,
   carrying the parent's (large) cache-read usage. ccusage 20 drops the replay and keeps
   the parent when the message id and session match and one side is a sidechain
   (its issue #913: these replays inflated costs several times). A sidechain message with
   its own message id is real work and counts. Anthropic's `msg_` ids are unique, so for
   them the session need not match: the parent may survive as its `--resume` copy in
   another session (ccusage tracks such "session aliases"; this is the same outcome
   without them, and it holds across import runs).

Rows already in the store are "seen first"; a better copy arriving later replaces the
stored one (its key is returned for deletion).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ccotel.importer.transcript import DEDUPE_MESSAGE_ID, DEDUPE_SIDECHAIN, usage_total


@dataclass
class Entry:
    """The facts dedupe needs about a stored or incoming row."""

    key: str
    message_id: str | None
    request_id: str | None
    session_id: str | None
    sidechain: bool
    total: int
    cost: float = 0.0
    has_speed: bool = False
    stored: bool = False
    row: dict[str, Any] | None = None

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Entry:
        if DEDUPE_MESSAGE_ID in row:
            mid, side = row[DEDUPE_MESSAGE_ID], bool(row.get(DEDUPE_SIDECHAIN))
        else:
            attrs = json.loads(row.get("attributes") or "{}")
            mid, side = attrs.get("message_id"), bool(attrs.get("is_sidechain"))
        return cls(row["event_key"], mid, row.get("request_id"), row.get("session_id"), side,
                   usage_total(row), float(row.get("cost_usd") or 0),
                   bool(row.get("speed")), row=row)


@dataclass
class Resolution:
    keep: list[dict[str, Any]] = field(default_factory=list)
    delete_keys: list[str] = field(default_factory=list)
    duplicates: int = 0
    sidechain_replays: int = 0


def _better(new: Entry, old: Entry) -> bool:
    if new.sidechain != old.sidechain:
        return old.sidechain
    if new.total != old.total:
        return new.total > old.total
    if new.cost != old.cost:
        return new.cost > old.cost
    return new.has_speed and not old.has_speed


def resolve(stored: list[Entry], incoming: list[Entry]) -> Resolution:
    """Decide which incoming rows to insert and which stored rows they replace."""
    by_key: dict[str, Entry] = {}
    by_message: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    alive: dict[int, Entry] = {}  # incoming entries still to be kept, by id()
    out = Resolution()

    def route(e: Entry) -> tuple[str, str | None]:
        assert e.message_id is not None
        scoped = not e.message_id.startswith("msg_")
        return (e.message_id, e.session_id if scoped else None)

    def register(e: Entry) -> None:
        by_key[e.key] = e
        if e.message_id is not None:
            by_message[route(e)].append(e)

    def retire(e: Entry) -> None:
        if e.stored:
            out.delete_keys.append(e.key)
        else:
            alive.pop(id(e), None)
        if by_key.get(e.key) is e:
            del by_key[e.key]
        if e.message_id is not None:
            siblings = by_message[route(e)]
            siblings[:] = [s for s in siblings if s is not e]

    for e in stored:
        e.stored = True
        register(e)
    for e in incoming:
        match = by_key.get(e.key)
        replay = False
        if match is None and e.message_id is not None:
            for other in by_message.get(route(e), ()):
                if other.request_id != e.request_id and (e.sidechain or other.sidechain):
                    match, replay = other, True
                    break
        if match is None:
            register(e)
            alive[id(e)] = e
            continue
        if replay:
            out.sidechain_replays += 1
        else:
            out.duplicates += 1
        if _better(e, match):
            retire(match)
            register(e)
            alive[id(e)] = e
    out.keep = [e.row for e in alive.values() if e.row is not None]
    return out

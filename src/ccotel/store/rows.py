"""The rows the store keeps, as every producer hands them to the writer: a `Batch` of
event, point and span dicts, their identity keys, and the JSON text of their attribute
columns.

The store owns these, so the writer, the decoder (`ccotel.otlp.decode`), redaction, the
transcript importer and the statusline's limit snapshots all build and read the same rows
without the store importing any of them.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, compress
from typing import Any, Literal

from ccotel.claude import catalogue

try:  # CPython's own BLAKE2, which hashlib gives too: without loading OpenSSL (3.6 MB in
    # the decoding process, which needs no other hash)
    from _blake2 import blake2b
except ImportError:  # a build without it (FIPS): hashlib's
    from hashlib import blake2b

Signal = Literal["logs", "metrics", "traces"]

# Metric kinds as stored; temporality numbers are the OTLP enum values.
DELTA, CUMULATIVE = 1, 2


@dataclass
class EventFacts:
    """What the writer reads of a batch's events row by row, besides their table: the key,
    the time (µs), the session, the event's name, the request's source, whether it has a
    sequence number; and whether any row names a session's repo, branch or project
    (`has_git_facts`)."""

    keys: list[str]
    ts: list[int]
    sessions: list[str | None]
    event_names: list[str | None]
    sources: list[str | None]
    sequenced: list[bool]
    has_git: bool

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> EventFacts:
        """The facts of event `rows` (their `ts` set on the way: `times`)."""
        ts = times(rows, "time_unix_nano")
        return cls(list(map(_KEY, rows)), ts, list(map(_SESSION, rows)),
                   list(map(_NAME, rows)), list(map(_SOURCE, rows)),
                   [q is not None for q in map(_SEQUENCE, rows)], has_git_facts(rows))

    def select(self, keep: list[bool]) -> EventFacts:
        """The rows where `keep` is true (`has_git` stays: it may only say too much)."""
        def pick(xs: list[Any]) -> list[Any]:
            return list(compress(xs, keep))

        return EventFacts(pick(self.keys), pick(self.ts), pick(self.sessions),
                          pick(self.event_names), pick(self.sources), pick(self.sequenced),
                          self.has_git)

    @staticmethod
    def concat(parts: list[EventFacts]) -> EventFacts:
        def joined(xs: Iterable[list[Any]]) -> list[Any]:
            return list(chain.from_iterable(xs))

        return EventFacts(joined(p.keys for p in parts), joined(p.ts for p in parts),
                          joined(p.sessions for p in parts),
                          joined(p.event_names for p in parts),
                          joined(p.sources for p in parts),
                          joined(p.sequenced for p in parts), any(p.has_git for p in parts))


_KEY = operator.itemgetter("event_key")
_SESSION = operator.methodcaller("get", "session_id")
_NAME = operator.methodcaller("get", "event_name")
_SOURCE = operator.methodcaller("get", "source")
_SEQUENCE = operator.methodcaller("get", "event_sequence")


@dataclass
class EventColumns:
    """A batch's events as the decoding process hands them to the writer
    (`store/handover.py`): each column of the events table laid out as Arrow lays it out
    (null count, validity bitmap, offsets, values: `store/columns.py` wraps them), in the
    order and kinds of `names` and `kinds`, and their `EventFacts`."""

    names: tuple[str, ...]
    kinds: bytes
    buffers: list[tuple[int, bytes | None, bytes | None, bytes]]
    facts: EventFacts


@dataclass
class Batch:
    """Rows decoded from one export request: its events as dicts, or as `columns` (then
    `events` is empty), its points and spans as dicts."""

    signal: Signal
    events: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    received_ns: int = 0
    # Records refused one by one (the rest of the export is stored): the client learns
    # how many and why through the response's partial_success.
    rejected: int = 0
    rejection: str = ""
    request: bytes | None = None  # the OTLP protobuf, kept only for `serve --forward`
    columns: EventColumns | None = None

    @property
    def records(self) -> int:
        return (len(self.events) + len(self.points) + len(self.spans)
                + (len(self.columns.facts.keys) if self.columns is not None else 0))

    def reject(self, reason: str) -> None:
        self.rejected += 1
        self.rejection = self.rejection or reason


def times(rows: list[dict[str, Any]], source: str) -> list[int]:
    """Each row's `ts` (µs), set from its own time, `source` (`time_unix_nano`, or a span's
    `start_unix_nano`), unless the decoder set it (a record without a time of its own): one
    pass that also gives the batch's times."""
    out: list[int] = []
    append = out.append
    for r in rows:
        t = r.get("ts")
        if t is None:
            t = r["ts"] = r[source] // 1000
        append(t)
    return out


GIT_EVENT = "ccotel.git"  # a session's git record (store/attribution.py)


def has_git_facts(rows: Iterable[dict[str, Any]]) -> bool:
    """Whether any of the event `rows` names its session's repo, branch or project (what
    session_git_of in schema.sql reads): only such batches need `rollups.add_git`."""
    return any(r.get("session_id") is not None
               and (r.get("project") is not None or r.get("git_branch") is not None
                    or r.get("event_name") == GIT_EVENT) for r in rows)


# --- attribute JSON ----------------------------------------------------------------------


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
# The C encoder behind _ENCODER, made once: JSONEncoder.encode builds one per call, which
# costs more than encoding a record's attributes. (No circular check: decoded values are
# trees.)
# (c_make_encoder is a CPython detail typeshed leaves out.)
_C_ENCODE = (json.encoder.c_make_encoder(  # type: ignore[attr-defined]
                 None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)
             if json.encoder.c_make_encoder is not None  # type: ignore[attr-defined]
             else None)


def to_json(value: Any) -> str:
    if _C_ENCODE is None or isinstance(value, str):
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def _digest(*parts: str) -> str:
    h = blake2b(digest_size=16)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


# --- identity ----------------------------------------------------------------------------
# A row's identity comes from the data as sent, never from when it arrived, so a retried
# export is recognised however late (writer.py skips rows already stored).
# Computed again from the rows after redaction (redact.py), so no key digests a raw value.


def event_key(row: dict[str, Any]) -> str:
    """`session.id/event.sequence`, else a digest of everything the record holds as sent
    (its time and observed time included, the receive time not)."""
    sid, seq = row.get("session_id"), row.get("event_sequence")
    if isinstance(sid, str) and isinstance(seq, int):
        return f"{sid}/{seq}"
    return _digest(to_json(sorted((k, v) for k, v in row.items() if k not in _NOT_CONTENT)))


_NOT_CONTENT = frozenset({"event_key", "ts"})


def series_digest(name: str, kind: str, res_json: str, scope_name: str | None,
                   attrs: dict[str, Any]) -> str:
    return _digest(name, kind, res_json, scope_name or "", to_json(sorted(attrs.items())))


def series_hasher(name: str, kind: str, res_json: str, scope_name: str | None
                  ) -> blake2b:
    """What the series of one metric share in their digest, hashed once: the decoder
    finishes each point's with `series_digest_of` (the same digest as `series_digest`)."""
    h = blake2b(digest_size=16)
    for p in (name, kind, res_json, scope_name or ""):
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h


def series_digest_of(prefix: blake2b, attrs: dict[str, Any]) -> str:
    """`series_digest` of a point whose metric `series_hasher` hashed."""
    h = prefix.copy()
    h.update(to_json(sorted(attrs.items())).encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    return h.hexdigest()


def series_key(row: dict[str, Any]) -> str:
    """The identity of a point's series, independent of its time and value, from the row
    as stored (after redaction): what the decoder (`ccotel.otlp.decode`) computes from the
    attributes as sent (a column two names share is read back under the first name)."""
    attrs = json.loads(row["attributes"]) if row.get("attributes") else {}
    for col, key in _POINT_ATTRIBUTE.items():
        if isinstance(row.get(col), str):
            attrs[key] = row[col]
    return series_digest(row["metric_name"], row["kind"], row["resource"],
                          row.get("scope_name"), attrs)


# column -> the attribute it holds (the first name, where two names share a column)
_POINT_ATTRIBUTE: dict[str, str] = {c: k for k, c in reversed(catalogue.POINT_COLUMNS.items())}

"""One Claude Code transcript line -> rows for the `events` table. Pure: no I/O.

An assistant line carries `message.usage` of one API response. Claude Code writes one
line per content block, so a response can appear several times (same `message.id` and
`requestId`); `event_key` is built from those two ids so the store keeps one row per
request. Which copy survives is decided in `dedupe.py`; this module only reads.

Rules shared with ccusage, so both count the same requests:
- a line counts when it has `message.usage` with integer input/output tokens, at the top
  level or nested in a subagent `progress` line (`data.message.message`);
- cache writes are the 5m + 1h split when `usage.cache_creation` is present, else the flat
  `cache_creation_input_tokens` (billed as 5-minute writes, the API default);
- empty ids or model, or a version that is not semver, mean a line written by something
  else: skipped; `<synthetic>` lines (Claude Code's own placeholders, zero usage) too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from ccotel.claude.pricing import Pricer, TokenCounts

# Lines without this are not usage lines (every `"usage"` key has it): checking bytes
# first avoids parsing the user and attachment lines that hold most of the bytes. Without
# the opening quote: a substring search looks for the first byte first, and JSON lines are
# full of quotes (DuckDB scans 1 GB 0.05 s faster). Both import paths use this marker.
USAGE_MARKER = b'usage"'
SYNTHETIC_MODEL = "<synthetic>"
DEDUPE_MESSAGE_ID = "_message_id"
DEDUPE_SIDECHAIN = "_sidechain"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+")

Skip = Literal["synthetic", "invalid"]


class MalformedLine(ValueError):
    """The line is not a JSON object (a crash mid-write, or not a transcript)."""


@dataclass
class Parsed:
    """What one line yields: rows, or the reason it yields none."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: Skip | None = None


def looks_like_json_object(line: bytes) -> bool:
    """Cheap test for lines not parsed (no usage marker): a broken line is still reported."""
    stripped = line.strip()
    return not stripped or (stripped[:1] == b"{" and stripped[-1:] == b"}")


# A token count is a JSON integer from 0 to below this (more is not a count; sums of the
# five kinds of a request stay within the store's 64-bit integers).
MAX_TOKENS = 1 << 60


def _int(v: Any) -> int | None:
    return v if type(v) is int and 0 <= v < MAX_TOKENS else None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def parse_ts(text: Any) -> int | None:
    """RFC 3339 timestamp -> epoch nanoseconds (None when absent or unreadable)."""
    parsed = _parse_dt(text)
    return None if parsed is None else parsed[0]


def _parse_dt(text: Any) -> tuple[int, datetime] | None:
    if not isinstance(text, str):
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    # Whole microseconds as an integer: float seconds would round away the last digits.
    micros = (dt - _EPOCH) // _MICROSECOND
    return int(micros) * 1000, dt


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = datetime.resolution


def event_key(message_id: str | None, request_id: str | None, session_id: str | None,
              ts_ns: int, line: bytes) -> str:
    """The identity of a request, as ccusage dedupes it.

    With a request id: message id + request id (Claude Code copies a response into the
    transcript of a resumed session; both copies are one request). Without one (old
    transcripts, gateways): also the session, and the timestamp unless the id is a real
    Anthropic `msg_` id (those are unique per response). Without a message id there is
    nothing to dedupe on: the line itself is the identity.
    """
    if message_id is None:
        # md5 because DuckDB has it too: the bulk path must make the same key.
        return "tx::" + hashlib.md5(line.rstrip(b"\r\n"), usedforsecurity=False).hexdigest()
    if request_id is not None:
        return f"tx:{message_id}:{request_id}"
    when = "" if message_id.startswith("msg_") else str(ts_ns // 1_000_000)
    return f"tx:{message_id}::{session_id or ''}:{when}"


def parse_line(line: bytes, pricer: Pricer) -> Parsed:
    """Rows from one transcript line. Raises MalformedLine for a line that is not JSON."""
    try:
        d = json.loads(line)
    except (ValueError, RecursionError):
        raise MalformedLine("not JSON") from None
    if not isinstance(d, dict):
        raise MalformedLine("not a JSON object")
    entry, message = _usage_entry(d)
    if message is None:
        return Parsed()
    usage: dict[str, Any] = message["usage"]  # a dict: _usage_entry checked
    input_tokens = _int(usage.get("input_tokens"))
    output_tokens = _int(usage.get("output_tokens"))
    if input_tokens is None or output_tokens is None:
        return Parsed()
    model = _str(message.get("model"))
    if model == SYNTHETIC_MODEL:
        return Parsed(skipped="synthetic")
    message_id = _str(message.get("id"))
    request_id = _str(entry.get("requestId"))
    session_id = _str(entry.get("sessionId")) or _str(d.get("sessionId"))
    version = _str(entry.get("version"))
    if ("" in (message_id, request_id, session_id, model)
            or (version is not None and not _SEMVER.match(version))):
        return Parsed(skipped="invalid")
    when = _parse_dt(entry.get("timestamp"))
    if when is None:
        return Parsed(skipped="invalid")
    ts_ns, ts = when

    cache_read = _int(usage.get("cache_read_input_tokens")) or 0
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        cache_5m = _int(split.get("ephemeral_5m_input_tokens")) or 0
        cache_1h = _int(split.get("ephemeral_1h_input_tokens")) or 0
    else:
        cache_5m, cache_1h = _int(usage.get("cache_creation_input_tokens")) or 0, 0
    speed = _str(usage.get("speed"))
    is_sidechain = entry.get("isSidechain") is True

    # Old transcripts carry Claude Code's own cost; it wins over a recomputation, as in
    # ccusage's default mode.
    recorded = entry.get("costUSD")
    cost: Decimal | None
    if isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
        cost = Decimal(str(recorded))
    else:
        cost = pricer.price(model, ts, TokenCounts(input_tokens, output_tokens, cache_read,
                                                   cache_5m, cache_1h), speed)
    attrs: dict[str, Any] = {"message_id": message_id}
    if is_sidechain:
        attrs["is_sidechain"] = True
    tier = _str(usage.get("service_tier"))
    if tier:
        attrs["service_tier"] = tier
    if speed:
        attrs["speed"] = speed
    common = {
        "session_id": session_id,
        "time_unix_nano": ts_ns,
        "app_version": version,
        "project": _str(entry.get("cwd")) or _str(d.get("cwd")),
        "git_branch": _str(entry.get("gitBranch")) or _str(d.get("gitBranch")),
        "source": "transcript",
        "model": model,
    }
    row = {
        **common,
        "event_key": event_key(message_id, request_id, session_id, ts_ns, line),
        "event_name": "api_request",
        "request_id": request_id,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_tokens": cache_read,
        "cache_creation_tokens": cache_5m + cache_1h,
        "cache_creation_5m_tokens": cache_5m,
        "cache_creation_1h_tokens": cache_1h,
        "cost_usd": None if cost is None else float(cost),
        "speed": speed,
        "attributes": json.dumps(attrs, separators=(",", ":")),
        # Dedupe reads these; they are not columns (the writer ignores unknown keys).
        DEDUPE_MESSAGE_ID: message_id,
        DEDUPE_SIDECHAIN: is_sidechain,
    }
    rows = [row]
    for block in message.get("content") or ():
        # Tool calls the model asked for; the key is the tool_use id, so the copies in
        # other lines of the same response, resumed sessions and replays collapse.
        if isinstance(block, dict) and block.get("type") == "tool_use":
            tool_use_id, name = _str(block.get("id")), _str(block.get("name"))
            if tool_use_id and name:
                rows.append({**common, "event_key": f"txtool:{tool_use_id}",
                             "event_name": "tool_use", "tool_name": name,
                             "tool_use_id": tool_use_id, "request_id": request_id,
                             "attributes": "{}"})
    return Parsed(rows)


def _usage_entry(d: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The object holding requestId/timestamp/isSidechain, and the API message in it."""
    message = d.get("message")
    if isinstance(message, dict) and isinstance(message.get("usage"), dict):
        return d, message
    # Subagent progress lines nest a whole assistant entry under data.message.
    data = d.get("data")
    inner = data.get("message") if isinstance(data, dict) else None
    if isinstance(inner, dict):
        nested = inner.get("message")
        if isinstance(nested, dict) and isinstance(nested.get("usage"), dict):
            return inner, nested
    return d, None


def usage_total(row: dict[str, Any]) -> int:
    """All tokens of a request row: how 'complete' a copy of a response is."""
    return sum(int(row.get(k) or 0) for k in
               ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens"))

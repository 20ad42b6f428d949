"""`--redact`: drop or hash sensitive attributes at ingest, before anything is written.

Runs as the Ingestor's transform on every decoded Batch, so a redacted value never
reaches the write queue, the WAL or the DuckDB file. Decoded rows keep most attributes
as JSON text (`attributes`, `resource`, span `events`/`links`); those are parsed only
when they mention a key to redact.

What each category does (and why):
- prompts, responses, tool-details: the value becomes "<REDACTED>" (what Claude Code
  itself sends when OTEL_LOG_USER_PROMPTS is off). Dropping beats hashing here: a hash
  of a short prompt or command can be confirmed by guessing. Lengths and sizes
  (`prompt_length`, `tool_input_size_bytes`, ...) are kept, so usage views still work.
- emails: `user.email` (hot column and attribute) becomes a keyed hash, stable across
  restarts, so per-user views still group correctly. Keyed (HMAC with a secret kept in
  the data dir) because a plain hash of an email is reversed by trying a list of emails.
  Any other text that holds an address (an attribute of another name, a value nested
  in arrays or kvlists at any depth, a log body, a span name, a session id) has the
  address replaced by the same hash.
- Row keys that digest the attributes (a metric point's `series_key`, the `event_key` of
  an event) are computed again from the redacted row, so no key is a digest of a raw
  prompt or address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccotel.errors import UsageError
from ccotel.store.rows import Batch, event_key, series_key, to_json

CATEGORIES = ("prompts", "responses", "tool-details", "emails")
REDACTED = "<REDACTED>"
KEY_FILE = "redact.key"
# An e-mail address inside any text: a local part, `@`, a dotted domain whose last label
# starts with a letter (so `react@18.2.0` or `model@20240620` are not addresses). A local
# part is tried only where a run of its characters starts (the lookbehind): from every
# position inside a long run, a hostile value would cost quadratic time.
_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]"
_ADDRESS = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_][\w-]*")

# Attribute keys whose value is dropped, per category. Events, metric points, spans,
# span events and resources are all searched (nested kvlist values too).
DROPPED: dict[str, frozenset[str]] = {
    "prompts": frozenset({
        "prompt", "prompt_text",          # user_prompt event (OTEL_LOG_USER_PROMPTS=1)
        "user_prompt",                    # claude_code.interaction span
        "gen_ai.prompt", "gen_ai.input.messages", "gen_ai.system_instructions",
    }),
    "responses": frozenset({
        "response",                       # assistant_response event
        "gen_ai.completion", "gen_ai.output.messages",
    }),
    "tool-details": frozenset({
        "tool_parameters", "tool_input",  # tool_decision / tool_result (OTEL_LOG_TOOL_DETAILS=1)
        "tool_output", "full_command", "bash_command", "bash_argv0",  # claude_code.tool span
        "file_path",
        "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
    }),
}


class RedactError(UsageError, ValueError):
    """An unknown --redact value."""


def parse(spec: str | None) -> frozenset[str]:
    """`prompts,emails` -> {"prompts", "emails"}; `all` means every category."""
    chosen: set[str] = set()
    for part in (spec or "").split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name == "all":
            chosen.update(CATEGORIES)
        elif name in CATEGORIES:
            chosen.add(name)
        else:
            raise RedactError(f"--redact {part.strip()!r} is unknown: use any of "
                              f"{', '.join(CATEGORIES)} (comma-separated), or all")
    return frozenset(chosen)


def load_key(data_dir: Path) -> bytes:
    """The secret for keyed hashes: created once (mode 0600) beside the store."""
    path = Path(data_dir) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


class Redactor:
    """Callable transform: redacts a Batch in place."""

    def __init__(self, categories: frozenset[str], key: bytes) -> None:
        unknown = set(categories) - set(CATEGORIES)
        if unknown:
            raise RedactError(f"unknown redact categories: {sorted(unknown)}")
        self.categories = categories
        self._key = key
        self._drop = frozenset().union(*(DROPPED[c] for c in categories if c in DROPPED))
        self._emails = "emails" in categories
        # Cheap pre-checks on the JSON text before parsing it: every dropped key appears
        # quoted, every email key ends with `email"`, every address holds an `@`.
        self._needles = tuple(f'"{k}"' for k in sorted(self._drop)) + (
            ('email"', "@") if self._emails else ())

    def __bool__(self) -> bool:
        return bool(self.categories)

    # -- values -------------------------------------------------------------------------

    def keyed(self, text: str, size: int = 16) -> str:
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()[:size * 2]

    def hash_email(self, value: Any) -> Any:
        if value is None:
            return None
        text = value if isinstance(value, str) else to_json(value)
        # Same address whatever its case or padding, so one person stays one user.
        return "user-" + self.keyed(text.strip().lower(), 8)

    def scrub(self, text: str) -> str:
        """Every address inside free text (a body, a span name, an attribute of any name)
        replaced by its keyed hash."""
        if "@" not in text:
            return text
        return _ADDRESS.sub(lambda m: self.hash_email(m.group(0)), text)

    def _is_email_key(self, key: str) -> bool:
        return self._emails and key.lower().endswith("email")

    def _hash_all(self, node: Any) -> Any:
        """Under an email key: every value at any depth is hashed (arrays, kvlists)."""
        if isinstance(node, dict):
            return {self.scrub(k): self._hash_all(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self._hash_all(v) for v in node]
        return self.hash_email(node)

    def _walk(self, node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                name = self.scrub(k) if self._emails else k
                if k in self._drop:
                    out[name] = REDACTED if v is not None else None
                elif self._is_email_key(k):
                    out[name] = self._hash_all(v)
                else:
                    out[name] = self._walk(v)
            return out
        if isinstance(node, list):
            return [self._walk(v) for v in node]
        if self._emails and isinstance(node, str):
            return self.scrub(node)
        return node

    def _json(self, text: Any) -> Any:
        if not isinstance(text, str) or not any(n in text for n in self._needles):
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return self.scrub(text) if self._emails else text  # free text (a log body)
        return to_json(self._walk(data))

    # -- rows ---------------------------------------------------------------------------

    def _row(self, row: dict[str, Any], json_columns: tuple[str, ...]) -> None:
        for col in json_columns:
            if col in row:
                row[col] = self._json(row[col])
        if not self._emails:
            return
        if row.get("user_email") is not None:
            row["user_email"] = self.hash_email(row["user_email"])
        for col, value in row.items():  # every other text column: session ids, names, ...
            if isinstance(value, str) and col not in json_columns and "@" in value:
                row[col] = self.scrub(value)

    def __call__(self, batch: Batch) -> None:
        if not self.categories:
            return
        # Row keys are digests of what is stored, so they are made again from the
        # redacted rows: no key keeps a digest of a raw address or prompt.
        for row in batch.events:
            self._row(row, ("attributes", "resource", "body"))
            row["event_key"] = event_key(row)
        for row in batch.points:
            self._row(row, ("attributes", "resource", "detail"))
            row["series_key"] = series_key(row)
        for row in batch.spans:
            self._row(row, ("attributes", "resource", "events", "links"))


def build(spec: str | None, data_dir: Path) -> Callable[[Batch], None] | None:
    """The Ingestor transform for `--redact spec`, or None when nothing is redacted."""
    categories = parse(spec)
    if not categories:
        return None
    return Redactor(categories, load_key(data_dir))

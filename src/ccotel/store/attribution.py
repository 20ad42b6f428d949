"""Attribution: which repo, branch, skill, subagent, MCP server or team a request's cost
belongs to.

The dimensions are defined once, in SQL (`sql/attrib_macros.sql`: `attrib_value`); this
module names them for users, checks the names users give, and runs the attribution queries
with those macros in place. A name that is not in `DIMENSIONS` is looked up in the records'
attributes and resources, so `OTEL_RESOURCE_ATTRIBUTES` keys (team, department,
cost_center, ...) work without being listed anywhere.
"""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb

from ccotel.query import BadQuery
from ccotel.store import queries

DIMENSIONS: dict[str, str] = {
    "repo": "git repository of the session (host/owner/name of its remote, else its folder)",
    "branch": "git branch of the session",
    "project": "directory Claude Code ran in",
    "user": "user.email, else user.id",
    "model": "model (with -fast for fast mode)",
    "session": "session.id",
    "day": "day, in the report's time zone",
    "week": "ISO week (its Monday), in the report's time zone",
    "month": "month, in the report's time zone",
    "source": "telemetry or transcript",
    "query_source": "main, subagent, auxiliary or compact",
    "effort": "reasoning effort",
    "speed": "normal or fast",
    "skill": "skill.name",
    "agent": "agent.name (the subagent)",
    "plugin": "plugin.name",
    "mcp": "mcp_server.name",
    "mcp_tool": "mcp_tool.name",
    "terminal": "terminal.type",
    "version": "service.version (Claude Code's version)",
}
# Attribute names Claude Code uses for the dimensions above, accepted as synonyms.
ALIASES = {"skill.name": "skill", "agent.name": "agent", "plugin.name": "plugin",
           "mcp_server.name": "mcp", "mcp_server": "mcp", "mcp_tool.name": "mcp_tool",
           "terminal.type": "terminal", "service.version": "version", "subagent": "agent",
           "git.branch": "branch", "git.repo": "repo", "user.email": "user",
           "session.id": "session"}
# Any other attribute or resource key: what OpenTelemetry allows in practice, kept short so
# it is safe inside a JSON path.
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
UNKNOWN = "(unknown)"


def dimension(name: str | None, what: str = "dimension") -> str:
    """The canonical name of dimension `name`, or a BadQuery saying what is allowed."""
    text = (name or "").strip()
    text = ALIASES.get(text, text)
    if text in DIMENSIONS or _KEY.match(text):
        return text
    raise BadQuery(f"{what} {str(name)[:60]!r} is not a dimension: use one of "
                   f"{', '.join(DIMENSIONS)}, or an attribute or resource key such as team")


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
         ) -> list[dict[str, Any]]:
    """Rows of query `name`, with the attribution macros defined on this connection (temp
    macros: they work on a read-only store too)."""
    queries.run(con, "attrib_macros")
    return queries.rows(con, name, **params)


# -- a session's git facts ------------------------------------------------------------------

GIT_EVENT = "ccotel.git"
GIT_FIELDS = ("repo", "branch", "head", "worktree", "toplevel")
_MAX_FIELD = 1000


def git_record(session_id: str, facts: dict[str, Any], *, now_ns: int) -> bytes:
    """The record of a session's repo and branch (what `ccotel hook` and the statusline
    send), as an OTLP/JSON log record: a `ccotel.git` event with `git.*` attributes, so it
    is decoded, stored and deduplicated like any event, by the one writer. The newest one of
    a session names its repo and branch (attrib_macros.sql). A value that is not a short
    string is a BadQuery."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 200:
        raise BadQuery("session id: 1 to 200 characters")
    unknown = set(facts) - set(GIT_FIELDS)
    if unknown:
        raise BadQuery(f"unknown field {min(unknown)[:40]!r}: use {', '.join(GIT_FIELDS)}")
    attrs = [{"key": "session.id", "value": {"stringValue": session_id}},
             {"key": "event.name", "value": {"stringValue": GIT_EVENT}}]
    for name in GIT_FIELDS:
        value = facts.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > _MAX_FIELD:
            raise BadQuery(f"{name}: a string of at most {_MAX_FIELD} characters")
        attrs.append({"key": f"git.{name}", "value": {"stringValue": value}})
    if not facts.get("repo"):
        raise BadQuery("repo is required")
    record = {"timeUnixNano": str(now_ns), "body": {"stringValue": GIT_EVENT},
              "attributes": attrs}
    return json.dumps({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "ccotel"}}]},
        "scopeLogs": [{"scope": {"name": "ccotel"}, "logRecords": [record]}]}]}).encode()

"""What Claude Code's telemetry means: attribute types, hot columns, metric and event names.

Claude Code sends the same attribute with different wire types (tool_result's `success`
is the string "true", its `duration_ms` the string "23"), so values are coerced by
attribute name, never by wire type.
"""

from __future__ import annotations

from typing import Any

EVENT_PREFIX = "claude_code."

# Attribute name -> the type it is stored as, wherever it appears (event, point, span).
INT_ATTRS = frozenset(
    {
        "event.sequence",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_creation_tokens",
        "cache_creation_5m_tokens",
        "cache_creation_1h_tokens",
        "cost_usd_micros",
        "status_code",
        "attempt",
        "total_attempts",
        "total_retry_duration_ms",
        "prompt_length",
        "response_length",
        "tool_input_size_bytes",
        "tool_result_size_bytes",
        "skill_path_count",
        "command_path_count",
        "agent_path_count",
    }
)
FLOAT_ATTRS = frozenset({"cost_usd", "duration_ms", "ttft_ms", "first_content_ms"})
BOOL_ATTRS = frozenset(
    {
        "success",
        "anthropic.custom_base_url",
        "has_hooks",
        "has_mcp",
        "host_owned_mcp",
        "safe_mode",
    }
)

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_INT64 = (-(2**63), 2**63 - 1)


def _to_int(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str):
        try:
            n = int(value.strip())
        except ValueError:
            try:
                f = float(value)
            except ValueError:
                return value
            if not f.is_integer():
                return value
            n = int(f)
    else:
        return value
    return n if _INT64[0] <= n <= _INT64[1] else value


def _to_float(value: Any) -> Any:
    if type(value) is float:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    return value


# Attribute name -> how to type it; attributes not listed keep their wire type.
COERCERS: dict[str, Any] = {
    **{k: _to_int for k in INT_ATTRS},
    **{k: _to_float for k in FLOAT_ATTRS},
    **{k: _to_bool for k in BOOL_ATTRS},
}
# Coercer -> the type of value it returns as it is (so a hot path need not call it then).
KEEPS: dict[Any, type] = {_to_int: int, _to_float: float, _to_bool: bool}


def coerce(key: str, value: Any) -> Any:
    """Return `value` typed as Claude Code means it; leave it alone when it does not parse."""
    fn = COERCERS.get(key)
    return value if fn is None else fn(value)


# Attributes found on every point and event ("standard attributes") -> column name.
STANDARD_COLUMNS: dict[str, str] = {
    "session.id": "session_id",
    "user.id": "user_id",
    "user.email": "user_email",
    "user.account_uuid": "account_uuid",
    "organization.id": "organization_id",
    "terminal.type": "terminal_type",
    "app.version": "app_version",
}

# Event attributes with a typed column of their own (beyond the standard ones).
EVENT_COLUMNS: dict[str, str] = {
    **STANDARD_COLUMNS,
    "event.name": "event_name",
    "event.sequence": "event_sequence",
    "prompt.id": "prompt_id",
    "model": "model",
    "request_id": "request_id",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_tokens": "cache_read_tokens",
    "cache_creation_tokens": "cache_creation_tokens",
    "cache_creation_5m_tokens": "cache_creation_5m_tokens",
    "cache_creation_1h_tokens": "cache_creation_1h_tokens",
    "cost_usd": "cost_usd",
    "duration_ms": "duration_ms",
    "ttft_ms": "ttft_ms",
    "tool_name": "tool_name",
    "tool_use_id": "tool_use_id",
    "success": "success",
    "decision": "decision",
    "source": "decision_source",
    "error": "error",
    "error_type": "error_type",
    "status_code": "status_code",
    "attempt": "attempt",
    "query_source": "query_source",
    "speed": "speed",
    "effort": "effort",
}

# Metric point attributes with a typed column of their own.
POINT_COLUMNS: dict[str, str] = {
    **STANDARD_COLUMNS,
    "model": "model",
    "type": "type",
    "tool_name": "tool_name",
    "tool": "tool_name",  # older releases of code_edit_tool.decision
    "decision": "decision",
    "source": "decision_source",
    "language": "language",
    "start_type": "start_type",
    "query_source": "query_source",
    "speed": "speed",
    "effort": "effort",
}

# Resource attributes that get a column (the whole resource is kept as JSON as well).
RESOURCE_COLUMNS: dict[str, str] = {
    "service.name": "service_name",
    "service.version": "service_version",
}

METRICS: dict[str, str] = {
    "claude_code.session.count": "",
    "claude_code.token.usage": "tokens",
    "claude_code.cost.usage": "USD",
    "claude_code.lines_of_code.count": "",
    "claude_code.commit.count": "",
    "claude_code.pull_request.count": "",
    "claude_code.code_edit_tool.decision": "",
    "claude_code.active_time.total": "s",
}

TOKEN_TYPES = ("input", "output", "cacheRead", "cacheCreation")

EVENTS = (
    "user_prompt",
    "tool_decision",
    "tool_result",
    "api_request",
    "api_error",
    "api_retries_exhausted",
    "api_refusal",
    "assistant_response",
    "plugin_loaded",
    "managed_settings_resolved",
    "permission_mode_changed",
    "auth",
    "mcp_server_connection",
    "internal_error",
    "compaction",
    "skill_activated",
    "subagent_completed",
)


def event_name(attr_name: Any, body: Any) -> str | None:
    """`event.name`, else the body without its `claude_code.` prefix."""
    if isinstance(attr_name, str) and attr_name:
        return attr_name
    if isinstance(body, str) and body:
        return body[len(EVENT_PREFIX):] if body.startswith(EVENT_PREFIX) else body
    return None


# OTLP metric name of each event counter -> (event name, attributes kept as labels).
# The stack's collector config (count connector) and ccotel's exposition are both
# generated from this table.
EVENT_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "claude_code.api_request.count": ("api_request", ("user.id", "session.id", "model")),
    "claude_code.api_error.count": ("api_error", ("user.id", "session.id", "model")),
    "claude_code.tool_result.count": ("tool_result",
                                      ("user.id", "session.id", "tool_name", "success")),
    # For the alert rules (ccotel.alerts.prometheus).
    "claude_code.api_retries_exhausted.count": ("api_retries_exhausted",
                                                ("user.id", "session.id")),
    "claude_code.api_refusal.count": ("api_refusal", ("user.id", "session.id")),
}
# The count connector drops a record that lacks a listed attribute unless it has a default.
EVENT_COUNTER_DEFAULT = "unknown"

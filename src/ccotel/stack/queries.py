"""PromQL and LogQL for every panel of `ccotel.panels`, keyed by panel id.

Why the PromQL looks the way it does (the stack README says the same to users):

- Totals over a range never use `increase()`/`rate()`. Both extrapolate, and both ignore
  the first sample of a new series. Claude Code starts a new series for every session
  (`session_id` is a label), so a short session, whose whole cost arrives in its first
  export, would count as zero. `_window(m, R)` is exact instead: for each series, its value
  at the end minus its value R earlier, or its whole value when it did not exist R earlier
  (`or m`). A series that went down (a restarted Claude Code process reusing the session)
  counts from its restart (`>= 0` drops the negative difference, `or m` adds the new value).
- Time series use the same window over `$__interval` (Grafana's step), so the buckets tile
  the range and add up to the stat panels' totals; they are shown per minute.
- Counts of requests, errors and tool calls come from the events (exact), through the
  collector's `count` connector (`claude_code_api_request_count_total`, ...); `ccotel serve`
  exposes the same counters under the same names, computed from its store.
- Averages and session durations need event values that no collector 0.96 component turns
  into metrics, so they are LogQL on Loki (the `loki` exporter's JSON lines, `| json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ccotel.panels import PANELS

Datasource = Literal["prometheus", "loki"]

PROMETHEUS_UID = "ccotel-prometheus"
LOKI_UID = "ccotel-loki"
DATASOURCE_UIDS: dict[str, str] = {"prometheus": PROMETHEUS_UID, "loki": LOKI_UID}

# Prometheus names, as the collector's prometheus exporter writes them (and ccotel serves them).
TOKENS = "claude_code_token_usage_tokens_total"
COST = "claude_code_cost_usage_USD_total"
SESSIONS = "claude_code_session_count_total"
LINES = "claude_code_lines_of_code_count_total"
COMMITS = "claude_code_commit_count_total"
PULL_REQUESTS = "claude_code_pull_request_count_total"
EDIT_DECISIONS = "claude_code_code_edit_tool_decision_total"
ACTIVE_TIME = "claude_code_active_time_seconds_total"
# Event counters made by the collector's `count` connector (see otel-collector-config.yaml).
API_REQUESTS = "claude_code_api_request_count_total"
API_ERRORS = "claude_code_api_error_count_total"
TOOL_RESULTS = "claude_code_tool_result_count_total"

# OTLP metric name of each event counter -> (event name, attributes kept as labels).
# The collector config and ccotel's exposition are both generated from this table.
EVENT_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "claude_code.api_request.count": ("api_request", ("user.id", "session.id", "model")),
    "claude_code.api_error.count": ("api_error", ("user.id", "session.id", "model")),
    "claude_code.tool_result.count": ("tool_result",
                                      ("user.id", "session.id", "tool_name", "success")),
}
# The count connector drops a record that lacks a listed attribute unless it has a default.
EVENT_COUNTER_DEFAULT = "unknown"

# Template variables (multi-value, "All" = .*); filters on labels of the metric queried.
_STD = 'user_id=~"$user", session_id=~"$session"'
_MODEL = _STD + ', model=~"$model"'

# Loki: the collector's loki exporter promotes service.name and event.name to labels
# (hints in the collector config); everything else is in the JSON line.
LOKI_STREAM = '{service_name=~"claude-code.*"}'
_LOKI_FILTERS = ('| attributes_user_id=~"$user" | attributes_session_id=~"$session"')


@dataclass(frozen=True)
class PanelQuery:
    expr: str
    datasource: Datasource = "prometheus"
    instant: bool = False        # stat/pie/bar panels read one value per series at range end
    legend: str = ""
    per_minute: bool = False     # expr is a per-bucket count divided into a per-minute rate


def window(metric: str, labels: str, rng: str) -> str:
    """Exact increase of `metric{labels}` over the `rng` before evaluation time."""
    m = f"{metric}{{{labels}}}"
    return f"(({m} - {m} offset {rng}) >= 0 or {m})"


def total(metric: str, labels: str, rng: str = "$__range", by: str = "") -> str:
    """Sum of the exact windows; without `by`, 0 rather than "No data" when nothing matched."""
    if by:
        return f"sum by ({by}) ({window(metric, labels, rng)})"
    return f"(sum({window(metric, labels, rng)}) or vector(0))"


def per_minute(metric: str, labels: str, by: str = "") -> str:
    return f"{total(metric, labels, '$__interval', by)} / ($__interval_ms / 60000)"


def _loki_events(event: str | None = None, *, model: bool = False) -> str:
    sel = LOKI_STREAM if event is None else LOKI_STREAM[:-1] + f', event_name="{event}"}}'
    extra = ' | attributes_model=~"$model"' if model else ""
    return f"{sel} | json {_LOKI_FILTERS}{extra}"


def _avg_response_ms() -> str:
    events = _loki_events("api_request", model=True)
    return (f'sum(sum_over_time({events} | unwrap attributes_duration_ms | __error__="" '
            f"[$__range])) / sum(count_over_time({events} [$__range]))")


def _session_duration_s() -> str:
    # Loki templates see each line's timestamp: the last minus the first, per session.
    ts = (f"{_loki_events()} | label_format ts=`{{{{ __timestamp__ | unixEpoch }}}}` "
          '| unwrap ts | __error__=""')
    return (f"max_over_time({ts} [$__range]) by (attributes_session_id) - "
            f"min_over_time({ts} [$__range]) by (attributes_session_id)")


def _error_rate() -> str:
    errors = f"(sum({window(API_ERRORS, _MODEL, '$__interval')}) or vector(0))"
    requests = f"(sum({window(API_REQUESTS, _MODEL, '$__interval')}) or vector(0))"
    # A bucket without requests nor errors has no rate (a gap), not 0/0.
    return f"{errors} / (({requests} + {errors}) > 0)"


QUERIES: dict[str, PanelQuery] = {
    "total_requests": PanelQuery(total(API_REQUESTS, _MODEL), instant=True),
    "total_errors": PanelQuery(total(API_ERRORS, _MODEL), instant=True),
    "total_tool_calls": PanelQuery(total(TOOL_RESULTS, _STD), instant=True),
    "avg_response_time": PanelQuery(_avg_response_ms(), datasource="loki", instant=True),
    "token_usage_rate": PanelQuery(per_minute(TOKENS, _MODEL, by="type"), legend="{{type}}",
                                   per_minute=True),
    "total_tokens_last_hour": PanelQuery(total(TOKENS, _MODEL), instant=True),
    "tool_call_rate": PanelQuery(per_minute(TOOL_RESULTS, _STD, by="tool_name"),
                                 legend="{{tool_name}}", per_minute=True),
    "tool_usage_distribution": PanelQuery(total(TOOL_RESULTS, _STD, by="tool_name"),
                                          instant=True, legend="{{tool_name}}"),
    "session_duration": PanelQuery(_session_duration_s(), datasource="loki", instant=True,
                                   legend="{{attributes_session_id}}"),
    "error_rate": PanelQuery(_error_rate(), legend="error rate"),
    "logs": PanelQuery(f"{LOKI_STREAM} | json {_LOKI_FILTERS}", datasource="loki"),
}


def missing_queries() -> list[str]:
    """Panel ids of the catalogue without a query here (a test keeps this empty)."""
    return [p.id for p in PANELS if p.id not in QUERIES]


def query_for(panel_id: str) -> PanelQuery:
    try:
        return QUERIES[panel_id]
    except KeyError:
        raise KeyError(f"panel {panel_id!r} has no PromQL/LogQL in ccotel.stack.queries: "
                       "add one there (the Grafana dashboard is generated from it)") from None

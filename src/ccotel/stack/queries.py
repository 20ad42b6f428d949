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

from ccotel.panels import GRAFANA_PANELS

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
    instant: bool = False        # stat/pie/bar/table panels: one value per series at range end
    legend: str = ""
    per_minute: bool = False     # a per-bucket count shown per minute
    extra: tuple[tuple[str, str], ...] = ()   # more targets: (expr, legend)
    table: bool = False          # Grafana "table" format (one row per series)

    @property
    def exprs(self) -> list[str]:
        return [self.expr, *(e for e, _ in self.extra)]


def window(metric: str, labels: str, rng: str) -> str:
    """Exact increase of `metric{labels}` over the `rng` before evaluation time."""
    m = f"{metric}{{{labels}}}"
    return f"(({m} - {m} offset {rng}) >= 0 or {m})"


# Sessions that used the chosen model(s). Tool calls, commits, edits and active time carry
# no model: like the embedded dashboard, a model filter keeps the sessions that used it.
# session_count has no model label, so with "All" (.*) every session is kept.
_MODEL_SESSIONS = (f'group by (session_id) ({{__name__=~"{API_REQUESTS}|{SESSIONS}", '
                   f'{_MODEL}}})')


def _scoped(metric: str, labels: str, rng: str, model_join: bool) -> str:
    w = window(metric, labels, rng)
    return f"({w} and on (session_id) {_MODEL_SESSIONS})" if model_join else w


def total(metric: str, labels: str, rng: str = "$__range", by: str = "",
          model_join: bool = False) -> str:
    """Sum of the exact windows; without `by`, 0 rather than "No data" when nothing matched."""
    w = _scoped(metric, labels, rng, model_join)
    if by:
        # A breakdown over the range lists what moved in it, not every series ever seen.
        return f"sum by ({by}) ({w})" + (" > 0" if rng == "$__range" else "")
    return f"(sum({w}) or vector(0))"


def per_minute(metric: str, labels: str, by: str = "", model_join: bool = False) -> str:
    return f"{total(metric, labels, '$__interval', by, model_join)} / ($__interval_ms / 60000)"


def _loki_events(event: str | None = None, *, model: bool = False) -> str:
    sel = LOKI_STREAM if event is None else LOKI_STREAM[:-1] + f', event_name="{event}"}}'
    extra = ' | attributes_model=~"$model"' if model else ""
    return f"{sel} | json {_LOKI_FILTERS}{extra}"


def session_logs(session: str) -> str:
    """The lines of one session (the Top Sessions table links to this in Explore)."""
    return f'{LOKI_STREAM} | json | attributes_session_id="{session}"'


def _avg_response_ms() -> str:
    events = _loki_events("api_request", model=True)
    return (f'sum(sum_over_time({events} | unwrap attributes_duration_ms | __error__="" '
            f"[$__range])) / sum(count_over_time({events} [$__range]))")


def _quantile_ms(q: float, attr: str, rng: str) -> str:
    # `by (service_name)` merges the per-line series that `| json` creates.
    events = _loki_events("api_request", model=True)
    return (f"quantile_over_time({q}, {events} | unwrap attributes_{attr} "
            f'| __error__="" [{rng}]) by (service_name)')


def _last_ms(events: str) -> str:
    # Loki templates see each line's timestamp: in milliseconds (Claude Code's precision;
    # whole seconds would round short sessions to 0).
    return (f"max_over_time({events} | label_format ts=`{{{{ __timestamp__ | unixEpochMillis }}}}` "
            '| unwrap ts | __error__="" [$__range]) by (attributes_session_id)')


def _session_duration_s() -> str:
    last = _last_ms(_loki_events())
    spans = f"({last} - {last.replace('max_over_time', 'min_over_time', 1)}) / 1000"
    # As the embedded panel, a chosen model keeps the sessions with a request of it. With
    # "All" (.*) the second operand keeps every session (lines without a model match both
    # filters); with a model it is empty. (Loki 2.9 combines these only when both sides
    # unwrap, hence the timestamps again.)
    used = _last_ms(_loki_events("api_request", model=True))
    any_line = _last_ms(_loki_events(model=True) + ' | attributes_model=""')
    return f"{spans} and ({used} or {any_line})"


def _error_rate() -> str:
    errors = f"(sum({window(API_ERRORS, _MODEL, '$__interval')}) or vector(0))"
    requests = f"(sum({window(API_REQUESTS, _MODEL, '$__interval')}) or vector(0))"
    # A bucket without requests nor errors has no rate (a gap), not 0/0.
    return f"{errors} / (({requests} + {errors}) > 0)"


# Counters that move whenever a session does something: "telemetry in the range".
_ACTIVITY = ((SESSIONS, _STD), (API_REQUESTS, _MODEL), (API_ERRORS, _MODEL),
             (TOOL_RESULTS, _STD), (ACTIVE_TIME, _STD), (TOKENS, _MODEL))


def _distinct(label: str) -> str:
    parts = " or ".join(f"group by ({label}) ({_scoped(m, lab, '$__range', lab == _STD)} > 0)"
                        for m, lab in _ACTIVITY)
    return f"(count({parts}) or vector(0))"


def _cache_hit_ratio() -> str:
    read = window(TOKENS, _MODEL + ', type="cacheRead"', "$__range")
    all_in = window(TOKENS, _MODEL + ', type=~"input|cacheRead|cacheCreation"', "$__range")
    return f"sum({read}) / (sum({all_in}) > 0)"


def _cost_by_user() -> str:
    # The email when Claude Code sent one (signed-in accounts), else the anonymous user.id.
    by_ids = f"sum by (user_id, user_email) ({window(COST, _MODEL, '$__range')})"
    with_id = f'label_replace({by_ids}, "user", "$1", "user_id", "(.+)")'
    return f'sum by (user) (label_replace({with_id}, "user", "$1", "user_email", "(.+)")) > 0'


QUERIES: dict[str, PanelQuery] = {
    "total_requests": PanelQuery(total(API_REQUESTS, _MODEL), instant=True),
    "total_errors": PanelQuery(total(API_ERRORS, _MODEL), instant=True),
    "total_tool_calls": PanelQuery(total(TOOL_RESULTS, _STD, model_join=True), instant=True),
    "avg_response_time": PanelQuery(_avg_response_ms(), datasource="loki", instant=True),
    "total_cost": PanelQuery(total(COST, _MODEL), instant=True),
    "total_tokens_last_hour": PanelQuery(total(TOKENS, _MODEL), instant=True),
    "sessions": PanelQuery(_distinct("session_id"), instant=True),
    "active_users": PanelQuery(_distinct("user_id"), instant=True),
    "cache_hit_ratio": PanelQuery(_cache_hit_ratio(), instant=True),
    "time_to_first_token": PanelQuery(_quantile_ms(0.5, "ttft_ms", "$__range"),
                                      datasource="loki", instant=True),
    "commits": PanelQuery(total(COMMITS, _STD, model_join=True), instant=True),
    "pull_requests": PanelQuery(total(PULL_REQUESTS, _STD, model_join=True), instant=True),
    "token_usage_rate": PanelQuery(per_minute(TOKENS, _MODEL, by="type"), legend="{{type}}",
                                   per_minute=True),
    "tool_call_rate": PanelQuery(per_minute(TOOL_RESULTS, _STD, by="tool_name",
                                            model_join=True),
                                 legend="{{tool_name}}", per_minute=True),
    "error_rate": PanelQuery(_error_rate(), legend="error rate"),
    "api_latency": PanelQuery(
        _quantile_ms(0.5, "duration_ms", "$__interval"), datasource="loki", legend="p50",
        extra=((_quantile_ms(0.95, "duration_ms", "$__interval"), "p95"),
               (_quantile_ms(0.5, "ttft_ms", "$__interval"), "ttft p50"),
               (_quantile_ms(0.95, "ttft_ms", "$__interval"), "ttft p95"))),
    "tool_usage_distribution": PanelQuery(total(TOOL_RESULTS, _STD, by="tool_name",
                                                model_join=True),
                                          instant=True, legend="{{tool_name}}"),
    "tokens_by_type": PanelQuery(total(TOKENS, _MODEL, by="type"), instant=True,
                                 legend="{{type}}"),
    "cost_by_model": PanelQuery(total(COST, _MODEL, by="model"), instant=True,
                                legend="{{model}}"),
    "cost_by_user": PanelQuery(_cost_by_user(), instant=True, legend="{{user}}"),
    "session_duration": PanelQuery(_session_duration_s(), datasource="loki", instant=True,
                                   legend="{{attributes_session_id}}"),
    "active_time": PanelQuery(total(ACTIVE_TIME, _STD, by="type", model_join=True),
                              instant=True, legend="{{type}}"),
    "lines_of_code": PanelQuery(total(LINES, _MODEL, by="type"), instant=True,
                                legend="{{type}}"),
    "edit_decisions": PanelQuery(total(EDIT_DECISIONS, _STD, by="tool_name, language, decision",
                                       model_join=True), instant=True, table=True),
    "top_sessions": PanelQuery(f"topk(20, {total(COST, _MODEL, by='session_id, user_id')})",
                               instant=True, table=True),
    "logs": PanelQuery(f"{LOKI_STREAM} | json {_LOKI_FILTERS}", datasource="loki"),
}


def missing_queries() -> list[str]:
    """Panel ids of the catalogue without a query here (a test keeps this empty)."""
    return [p.id for p in GRAFANA_PANELS if p.id not in QUERIES]


def query_for(panel_id: str) -> PanelQuery:
    try:
        return QUERIES[panel_id]
    except KeyError:
        raise KeyError(f"panel {panel_id!r} has no PromQL/LogQL in ccotel.stack.queries: "
                       "add one there (the Grafana dashboard is generated from it)") from None

"""One catalogue of dashboard panels, used by the web dashboard and the Grafana export.

Each panel names the data that feeds it in the embedded dashboard (`query`, its entry in
`ccotel.panel_data.DATA` and the JSON endpoint `/api/v1/panels/<id>`); the
Grafana export (`ccotel.stack`) takes title, unit, kind and layout from here and the
PromQL/LogQL from `ccotel.stack.queries`, keyed by the same `id`, so the two never drift.

The order is the layout: panels flow left to right in rows of 24 grid columns. Panels marked
`serve_only` (attribution: repo, branch, skill, ... from event attributes and the sessions' git
records) have no PromQL/LogQL equivalent: the Grafana export leaves them out
(`GRAFANA_PANELS`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["stat", "timeseries", "piechart", "bargauge", "table", "logs"]


@dataclass(frozen=True)
class Panel:
    id: str            # stable slug: JSON endpoint name and Grafana panel key
    title: str         # exact title shown (the original dashboard's titles for its panels)
    kind: Kind
    unit: str          # Grafana unit id: short, currencyUSD, ms, s, percentunit, ...
    description: str
    fixed_range: str | None = None   # e.g. "1h" for Total Tokens (Last Hour)
    original: bool = False           # one of the original dashboard's panels
    width: int = 6                   # Grafana grid width (of 24)
    height: int = 8
    serve_only: bool = False         # only ccotel's dashboard draws it (no PromQL/LogQL)
    # The page asks for it in one request with the panels of the same name
    # (`/api/v1/dashboard`): they read the same rows, which are then read once.
    together: str | None = None

    @property
    def query(self) -> str:
        """The entry of `ccotel.panel_data.DATA` that computes this panel's data."""
        return self.id

    @property
    def endpoint(self) -> str:
        return f"/api/v1/panels/{self.id}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "query": self.query, "endpoint": self.endpoint}


# The attribution panels of a request's own dimensions: one statement reads them all
# (store/attribution.py: NAMED_DIMENSIONS, named_breakdowns).
_NAMED = ("skill", "agent", "mcp", "query_source", "effort")
_MODEL_NOTE = " With a model filter, counts the sessions that used that model."
_APPROX = (" Approximate in ccotel's dashboard: read from log-scale histograms (cells 19%"
           " wide keeping their min and max), within a few percent.")

PANELS: tuple[Panel, ...] = (
    # -- headline numbers -----------------------------------------------------------------
    Panel("total_requests", "Total Requests", "stat", "short",
          "API requests (api_request events) in the range.", original=True, width=4, height=4,
          together="counts"),
    Panel("total_errors", "Total Errors", "stat", "short",
          "API errors (api_error events) in the range.", original=True, width=4, height=4,
          together="counts"),
    Panel("total_tool_calls", "Total Tool Calls", "stat", "short",
          "Tool calls (tool_result events) in the range." + _MODEL_NOTE, original=True, width=4,
          height=4, together="counts"),
    Panel("avg_response_time", "Average Response Time", "stat", "ms",
          "Mean duration_ms of api_request events.", original=True, width=4, height=4),
    Panel("total_cost", "Total Cost", "stat", "currencyUSD",
          "Exact cost of the API requests (cost_usd of api_request events; the cost metric "
          "for sessions that sent no events).", width=4, height=4, together="usage"),
    Panel("total_tokens_last_hour", "Total Tokens (Last Hour)", "stat", "short",
          "All tokens (input, output, cache read, cache creation) of the last hour, whatever "
          "the range.", fixed_range="1h", original=True, width=4, height=4),
    Panel("sessions", "Sessions", "stat", "short",
          "Distinct Claude Code sessions with telemetry in the range.", width=4, height=4),
    Panel("active_users", "Active Users", "stat", "short",
          "Distinct users (user.id) with telemetry in the range.", width=4, height=4),
    Panel("cache_hit_ratio", "Cache Hit Ratio", "stat", "percentunit",
          "Cache read tokens / all input tokens (input + cache read + cache creation).",
          width=4, height=4, together="usage"),
    Panel("time_to_first_token", "Time to First Token", "stat", "ms",
          "Median ttft_ms of api_request events." + _APPROX, width=4, height=4,
          together="latency"),
    Panel("commits", "Commits", "stat", "short",
          "Git commits made by Claude Code (claude_code.commit.count)." + _MODEL_NOTE,
          width=4, height=4, together="metrics"),
    Panel("pull_requests", "Pull Requests", "stat", "short",
          "Pull requests created by Claude Code (claude_code.pull_request.count)."
          + _MODEL_NOTE, width=4, height=4, together="metrics"),
    # -- over time ------------------------------------------------------------------------
    Panel("token_usage_rate", "Token Usage Rate", "timeseries", "short",
          "Tokens per minute by type.", original=True, width=12, together="usage"),
    Panel("tool_call_rate", "Tool Call Rate by Tool", "timeseries", "short",
          "Tool calls per minute by tool." + _MODEL_NOTE, original=True, width=12,
          together="tools"),
    Panel("error_rate", "Error Rate", "timeseries", "percentunit",
          "API errors / (requests + errors) over time.", original=True, width=12),
    Panel("api_latency", "API Latency", "timeseries", "ms",
          "p50 and p95 of api_request duration_ms, and of time to first token." + _APPROX,
          width=12, together="latency"),
    # -- breakdowns -----------------------------------------------------------------------
    Panel("tool_usage_distribution", "Tool Usage Distribution", "piechart", "short",
          "Share of tool calls by tool." + _MODEL_NOTE, original=True, width=8, together="tools"),
    Panel("tokens_by_type", "Tokens by Type", "bargauge", "short",
          "Tokens by type: input, output, cache read, cache creation.", width=8,
          together="usage"),
    Panel("cost_by_model", "Cost by Model", "bargauge", "currencyUSD",
          "Cost of the API requests by model.", width=8, together="usage"),
    Panel("cost_by_user", "Cost by User", "bargauge", "currencyUSD",
          "Cost of the API requests by user (email when known, else user.id).", width=8,
          together="usage"),
    Panel("session_duration", "Session Duration", "bargauge", "s",
          "The longest sessions: first to last event in the range.", original=True, width=8),
    Panel("active_time", "Active Time", "bargauge", "s",
          "Active time: the user typing (user) and Claude Code working (cli)."
          + _MODEL_NOTE, width=8, together="metrics"),
    Panel("lines_of_code", "Lines of Code", "bargauge", "short",
          "Lines added and removed by Claude Code's edits.", width=8, together="metrics"),
    Panel("edit_decisions", "Edit Decisions", "table", "short",
          "Accepted and rejected Edit/Write/NotebookEdit calls by tool and language."
          + _MODEL_NOTE, width=16),
    Panel("top_sessions", "Top Sessions by Cost", "table", "currencyUSD",
          "The most expensive sessions in the range; open one for its timeline.",
          width=24, height=9, together="usage"),
    # -- attribution (ccotel's dashboard only) ----------------------------------------------
    *(Panel(f"cost_by_{pid}", f"Cost by {name}", "bargauge", "currencyUSD",
            f"Cost and tokens of the API requests by {what}; the top 10 and the rest as "
            "(other), adding up exactly to the total.", width=8, serve_only=True,
            together="named" if pid in _NAMED else None)
      for pid, name, what in (
          ("repo", "Repo", "git repository of the session (its remote, else its folder; "
                           "open one for its page)"),
          ("branch", "Branch", "git branch of the session"),
          ("skill", "Skill", "skill (skill.name)"),
          ("agent", "Subagent", "subagent (agent.name)"),
          ("mcp", "MCP Server", "MCP server (mcp_server.name)"),
          ("query_source", "Query Source", "query source (main, subagent, auxiliary, "
                                           "compact)"),
          ("effort", "Effort", "reasoning effort"),
          ("team", "Team", "team (the team resource attribute, OTEL_RESOURCE_ATTRIBUTES)"))),
    Panel("waste", "Where the Money Went", "table", "currencyUSD",
          "Per user and repo: the cost of context compactions, subagents and failed requests "
          "(api_error, retries exhausted, refusals), and cache-creation tokens paid again "
          "after a session's first request; as `ccotel report waste`.", width=24, height=9,
          serve_only=True),
    # -- the stream -----------------------------------------------------------------------
    Panel("logs", "Claude Code Logs", "logs", "short",
          "Live stream of Claude Code events.", original=True, width=24, height=12),
)

PANELS_BY_ID = {p.id: p for p in PANELS}


def page_batches() -> list[list[str]]:
    """The panel ids the dashboard page asks for in each of its requests to
    `/api/v1/dashboard`, in layout order: those of the same `together` in one, each other
    alone; the logs apart (`/api/v1/logs`). static/dashboard.js groups them the same way."""
    out: dict[str, list[str]] = {}
    for p in PANELS:
        if p.kind != "logs":
            out.setdefault(p.together or p.id, []).append(p.id)
    return list(out.values())
GRAFANA_PANELS = tuple(p for p in PANELS if not p.serve_only)

"""One catalogue of dashboard panels, used by the web dashboard and the Grafana export.

Each panel names the reader query that feeds it in the embedded dashboard (`query`,
a function in `ccotel.store.panels` and the JSON endpoint `/api/v1/panels/<id>`); the
Grafana export (`ccotel.stack`) takes title, unit, kind and layout from here and the
PromQL/LogQL from `ccotel.stack.queries`, keyed by the same `id`, so the two never drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["stat", "timeseries", "piechart", "bargauge", "table", "logs"]


@dataclass(frozen=True)
class Panel:
    id: str            # stable slug: JSON endpoint name and Grafana panel key
    title: str         # exact title shown (the seed's titles for the seed's panels)
    kind: Kind
    unit: str          # Grafana unit id: short, currencyUSD, ms, s, percentunit, ...
    description: str
    fixed_range: str | None = None   # e.g. "1h" for Total Tokens (Last Hour)
    seed: bool = False               # one of the seed README's panels
    width: int = 6                   # Grafana grid width (of 24)
    height: int = 8


PANELS: tuple[Panel, ...] = (
    # -- the seed's panels, with the seed's exact titles ---------------------------------
    Panel("total_requests", "Total Requests", "stat", "short",
          "API requests (api_request events) in the range.", seed=True, width=6, height=4),
    Panel("total_errors", "Total Errors", "stat", "short",
          "API errors (api_error events) in the range.", seed=True, width=6, height=4),
    Panel("total_tool_calls", "Total Tool Calls", "stat", "short",
          "Tool calls (tool_result events) in the range.", seed=True, width=6, height=4),
    Panel("avg_response_time", "Average Response Time", "stat", "ms",
          "Mean duration_ms of api_request events.", seed=True, width=6, height=4),
    Panel("token_usage_rate", "Token Usage Rate", "timeseries", "short",
          "Tokens per minute by type.", seed=True, width=12),
    Panel("total_tokens_last_hour", "Total Tokens (Last Hour)", "stat", "short",
          "All tokens of the last hour, whatever the range.", fixed_range="1h", seed=True,
          width=12),
    Panel("tool_call_rate", "Tool Call Rate by Tool", "timeseries", "short",
          "Tool calls per minute by tool.", seed=True, width=12),
    Panel("tool_usage_distribution", "Tool Usage Distribution", "piechart", "short",
          "Share of tool calls by tool.", seed=True, width=12),
    Panel("session_duration", "Session Duration", "bargauge", "s",
          "Duration of each session (first to last event) in the range.", seed=True, width=12),
    Panel("error_rate", "Error Rate", "timeseries", "percentunit",
          "API errors / (requests + errors) over time.", seed=True, width=12),
    Panel("logs", "Claude Code Logs", "logs", "short",
          "Live stream of Claude Code events.", seed=True, width=24, height=10),
)

PANELS_BY_ID = {p.id: p for p in PANELS}

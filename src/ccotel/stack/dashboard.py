"""The Grafana dashboard, generated from the panel catalogue and `stack.queries`.

Titles, units, kinds and layout come from `ccotel.panels` (shared with the embedded
dashboard); the queries from `ccotel.stack.queries`. Datasources are referenced by the
stable uids provisioned in `grafana/provisioning/datasources/datasources.yaml`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from ccotel.panels import GRAFANA_PANELS, Panel
from ccotel.stack.queries import (
    DATASOURCE_UIDS,
    LOKI_UID,
    SESSIONS,
    TOKENS,
    query_for,
    session_logs,
)

DASHBOARD_UID = "claude-code"
DASHBOARD_TITLE = "Claude Code"
GRID_WIDTH = 24
REFRESH = "30s"

# Where Grafana differs from ccotel's own dashboard, the panel says so. Grafana 10.3 streams
# a logs panel only behind an experimental feature toggle: this one refreshes with the
# dashboard, and Explore has the live tail.
DESCRIPTIONS = {
    "logs": f"Claude Code events, newest first, of the chosen users and sessions (not "
            f"filtered by model). Refreshes every {REFRESH} with the dashboard; for a live "
            "tail open Loki in Explore and press Live.",
}


def description(panel: Panel) -> str:
    """The panel's description as the Grafana dashboard (and the stack README) shows it."""
    return DESCRIPTIONS.get(panel.id, panel.description)


def session_link() -> dict[str, Any]:
    """A data link from a session id cell to its timeline: Explore on Loki, that session's
    lines, the dashboard's time range."""
    left = {"datasource": LOKI_UID, "queries": [{
        "refId": "A", "datasource": {"type": "loki", "uid": LOKI_UID},
        "expr": session_logs("${__value.raw}")}],
        "range": {"from": "${__from}", "to": "${__to}"}}
    # Percent-encode everything but Grafana's ${...} placeholders, which it fills in.
    encoded = quote(json.dumps(left, separators=(",", ":")), safe="${}._")
    return {"title": "Session timeline (Loki, Explore)",
            "url": f"/explore?orgId=1&left={encoded}"}


def _datasource(kind: str) -> dict[str, str]:
    return {"type": kind, "uid": DATASOURCE_UIDS[kind]}


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": _datasource("prometheus"),
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,          # on time range change: new sessions appear
        "includeAll": True,
        "allValue": ".*",      # series without the label match too
        "multi": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
        "hide": 0,
    }


def _options(panel: Panel) -> dict[str, Any]:
    calcs = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    if panel.kind == "stat":
        return {**calcs, "colorMode": "value", "graphMode": "none", "textMode": "auto"}
    if panel.kind == "piechart":
        return {**calcs, "pieType": "pie", "legend": {"displayMode": "table",
                                                     "placement": "right", "values": ["value"]}}
    if panel.kind == "bargauge":
        return {**calcs, "orientation": "horizontal", "displayMode": "basic"}
    if panel.kind == "logs":
        return {"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending",
                "enableLogDetails": True, "dedupStrategy": "none"}
    if panel.kind == "table":
        return {"showHeader": True, "sortBy": [{"displayName": "Value", "desc": True}]}
    # timeseries, the last kind
    return {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"}}


def panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    q = query_for(panel.id)
    ds = _datasource(q.datasource)
    targets = []
    for i, (expr, legend) in enumerate([(q.expr, q.legend), *q.extra]):
        target: dict[str, Any] = {"refId": chr(ord("A") + i), "datasource": ds, "expr": expr}
        if q.datasource == "prometheus":
            target.update(instant=q.instant, range=not q.instant,
                          legendFormat=legend or "__auto")
            if q.table:
                target["format"] = "table"
        else:
            target["queryType"] = "instant" if q.instant else "range"
            if legend:
                target["legendFormat"] = legend
        targets.append(target)
    out: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": description(panel),
        "datasource": ds,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "targets": targets,
        "options": _options(panel),
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
    }
    if panel.kind == "timeseries":
        # Per-minute counts by type or tool add up: stacked bars. Anything else (latency
        # percentiles, a rate) is a line, never stacked: a stacked p95 would be p50 + p95.
        out["fieldConfig"]["defaults"]["custom"] = (
            {"drawStyle": "bars", "fillOpacity": 60, "stacking": {"mode": "normal"}}
            if q.per_minute else
            {"drawStyle": "line", "fillOpacity": 0, "lineWidth": 2, "spanNulls": False,
             "stacking": {"mode": "none"}})
    if panel.id == "top_sessions":
        out["fieldConfig"]["overrides"] = [{
            "matcher": {"id": "byName", "options": "session_id"},
            "properties": [{"id": "links", "value": [session_link()]}]}]
    if panel.fixed_range:
        out["timeFrom"] = panel.fixed_range   # e.g. Total Tokens (Last Hour): always 1h
        out["hideTimeOverride"] = False
    return out


def build_dashboard(panels: tuple[Panel, ...] = GRAFANA_PANELS) -> dict[str, Any]:
    """The dashboard JSON provisioned as grafana/provisioning/dashboards/claude-code.json."""
    out_panels = []
    x = y = row_h = 0
    for i, panel in enumerate(panels, start=1):
        if x + panel.width > GRID_WIDTH:
            x, y, row_h = 0, y + row_h, 0
        out_panels.append(panel_json(panel, i, x, y))
        x += panel.width
        row_h = max(row_h, panel.height)
    return {
        "uid": DASHBOARD_UID,
        "title": DASHBOARD_TITLE,
        "description": "Generated by `ccotel stack init` from ccotel's panel catalogue.",
        "tags": ["claude-code", "ccotel"],
        "timezone": "browser",
        "schemaVersion": 39,   # Grafana 10.3
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": REFRESH,
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": [
            _variable("user", "User", f"label_values({SESSIONS}, user_id)"),
            _variable("model", "Model", f"label_values({TOKENS}, model)"),
            _variable("session", "Session",
                      f'label_values({SESSIONS}{{user_id=~"$user"}}, session_id)'),
        ]},
        "annotations": {"list": []},
        "links": [],
        "panels": out_panels,
    }

"""The generated files checked by the real tools: promtool, docker-compose; the dashboard
checked against the panel catalogue and the provisioned datasources."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import yaml

from ccotel.claude import catalogue
from ccotel.panels import GRAFANA_PANELS
from ccotel.stack import queries
from ccotel.stack.dashboard import build_dashboard
from ccotel.stack.generate import StackOptions, init, render

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                                    reason="promtool missing: apt-get install prometheus")
needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                   reason="docker-compose missing: apt-get install docker-compose")


@needs_promtool
def test_promtool_accepts_prometheus_yml(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    out = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


@needs_compose
def test_docker_compose_config_validates_the_stack(tmp_path: Path) -> None:
    init(tmp_path, password="pw-from-env")
    out = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    resolved = yaml.safe_load(out.stdout)
    assert resolved["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == \
        "pw-from-env"
    for service in resolved["services"].values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), port
    # The seed's network name, whatever the project name in .env.
    assert resolved["networks"]["claude-monitoring"]["name"] == "claude-monitoring"
    services = resolved["services"]
    # Health by the endpoints the seed's troubleshooting checks; the collector has none
    # (no shell in its image), and what waits on a healthy service says so.
    for name, url in (("loki", "http://localhost:3100/ready"),
                      ("prometheus", "http://localhost:9090/-/healthy"),
                      ("grafana", "http://localhost:3000/api/health")):
        assert url in " ".join(services[name]["healthcheck"]["test"]), name
    assert "healthcheck" not in services["otel-collector"]
    assert services["grafana"]["depends_on"] == {
        "prometheus": {"condition": "service_healthy"},
        "loki": {"condition": "service_healthy"}}
    assert services["otel-collector"]["depends_on"] == {
        "loki": {"condition": "service_healthy"}}


@needs_compose
def test_docker_compose_refuses_to_run_without_the_env_file(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    (tmp_path / ".env").unlink()
    out = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode != 0
    assert "ccotel stack init" in out.stderr


def test_every_panel_has_a_query() -> None:
    assert queries.missing_queries() == [], (
        "panels without PromQL/LogQL: add them to ccotel/stack/queries.py")
    assert set(queries.QUERIES) <= {p.id for p in GRAFANA_PANELS}, "queries for unknown panels"


def test_dashboard_has_every_panel_with_the_catalogue_title_and_unit() -> None:
    dash = build_dashboard()
    assert [(p["title"], p["type"], p["fieldConfig"]["defaults"]["unit"]) for p in dash["panels"]] \
        == [(p.title, p.kind, p.unit) for p in GRAFANA_PANELS]
    for p, panel in zip(dash["panels"], GRAFANA_PANELS, strict=True):
        assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
        if panel.fixed_range:
            assert p["timeFrom"] == panel.fixed_range


def _uids(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ds = node.get("datasource")
        if isinstance(ds, dict) and "uid" in ds:
            found.add(ds["uid"])
        for v in node.values():
            found |= _uids(v)
    elif isinstance(node, list):
        for v in node:
            found |= _uids(v)
    return found


def test_every_dashboard_datasource_uid_is_provisioned() -> None:
    files = render(StackOptions())
    provisioned = {d["uid"]: d["type"] for d in
                   yaml.safe_load(files["grafana/provisioning/datasources/datasources.yaml"])
                   ["datasources"]}
    dash = json.loads(files["grafana/provisioning/dashboards/claude-code.json"])
    used = _uids(dash)
    assert used and used <= set(provisioned), used - set(provisioned)
    for p in dash["panels"]:
        for t in p["targets"]:
            assert provisioned[t["datasource"]["uid"]] == t["datasource"]["type"]


def test_queries_follow_the_time_range_and_the_variables() -> None:
    for panel in GRAFANA_PANELS:
        q = queries.QUERIES[panel.id]
        if panel.kind == "logs":
            continue
        assert "$__range" in q.expr or "$__interval" in q.expr, panel.id
        assert not re.search(r"\[\d+[smhdw]\]", q.expr), f"{panel.id}: fixed window"
        assert "$user" in q.expr and "$session" in q.expr, panel.id
        assert "increase(" not in q.expr and "rate(" not in q.expr, panel.id
    names = [v["name"] for v in build_dashboard()["templating"]["list"]]
    assert names == ["user", "model", "session"]


def test_collector_counts_the_events_the_exposition_counts() -> None:
    collector = yaml.safe_load(render(StackOptions())["otel-collector-config.yaml"])
    logs = collector["connectors"]["count"]["logs"]
    assert set(logs) == set(catalogue.EVENT_COUNTERS)
    for name, (event, keys) in catalogue.EVENT_COUNTERS.items():
        assert logs[name]["conditions"] == [f'attributes["event.name"] == "{event}"']
        assert [a["key"] for a in logs[name]["attributes"]] == list(keys)
    pipelines = collector["service"]["pipelines"]
    assert "count" in pipelines["metrics"]["receivers"]
    # The count connector sees the records as Claude Code sent them: no Loki hint (it
    # would become a `loki_resource_labels` label of the counters), no other processor.
    assert pipelines["logs/count"] == {"receivers": ["otlp"], "exporters": ["count"]}
    assert pipelines["logs/loki"]["exporters"] == ["loki"]
    assert [p for pl in pipelines.values() for p in pl.get("processors", [])
            if "loki" in p] == ["resource/loki-labels", "attributes/loki-labels"]
    assert pipelines["metrics"]["processors"][-1] == "batch"
    prom = collector["exporters"]["prometheus"]
    assert prom["resource_to_telemetry_conversion"]["enabled"] is True
    scrape = yaml.safe_load(render(StackOptions())["prometheus.yml"])["scrape_configs"]
    assert scrape[0]["honor_labels"] is True and scrape[0]["static_configs"][0]["targets"] == [
        "otel-collector:8889"]


def test_only_series_that_add_up_are_stacked() -> None:
    dash = {p["title"]: p for p in build_dashboard()["panels"]}
    for panel in GRAFANA_PANELS:
        if panel.kind != "timeseries":
            continue
        custom = dash[panel.title]["fieldConfig"]["defaults"]["custom"]
        if queries.QUERIES[panel.id].per_minute:
            assert custom["stacking"]["mode"] == "normal" and custom["drawStyle"] == "bars"
        else:
            assert custom["stacking"]["mode"] == "none" and custom["drawStyle"] == "line", \
                panel.id
    latency = dash["API Latency"]["fieldConfig"]["defaults"]["custom"]
    assert latency["stacking"]["mode"] == "none"   # p95 drawn at p95, not on top of p50


def test_top_sessions_link_to_their_timeline_in_explore() -> None:
    panel = next(p for p in build_dashboard()["panels"] if p["title"] == "Top Sessions by Cost")
    [override] = panel["fieldConfig"]["overrides"]
    assert override["matcher"] == {"id": "byName", "options": "session_id"}
    [link] = override["properties"][0]["value"]
    path, _, query = link["url"].partition("?")
    assert path == "/explore"
    left = json.loads(urllib.parse.parse_qs(query)["left"][0])
    assert left["datasource"] == queries.LOKI_UID
    assert left["range"] == {"from": "${__from}", "to": "${__to}"}
    assert left["queries"][0]["expr"] == queries.session_logs("${__value.raw}")


def test_no_grafana_text_claims_a_live_stream() -> None:
    files = render(StackOptions())
    dash = json.loads(files["grafana/provisioning/dashboards/claude-code.json"])
    texts = [p["description"] for p in dash["panels"]] + [files["README.md"]]
    assert not [t for t in texts if re.search(r"\blive stream\b|リアルタイム", t, re.I)]
    logs = next(p for p in dash["panels"] if p["type"] == "logs")
    assert "Refreshes every 30s" in logs["description"] and "Explore" in logs["description"]

"""`ccotel stack init --alerts FILE`: the same rules as Prometheus alerting rules and an
Alertmanager config, checked by promtool and amtool, unit-tested by `promtool test rules`
with series fixtures, and run for real: a real Prometheus scraping a real `ccotel serve`
fires into a real Alertmanager, which posts to a webhook receiver on loopback."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from ccotel.alerts.rules import parse
from ccotel.cli import main
from ccotel.stack.generate import StackAlerts, StackOptions, init, render
from tests.alerts.test_rules import EXAMPLE
from tests.alerts.webhook import Receiver, receiver
from tests.conftest import start_server
from tests.stack.live import free_port, wait
from tests.stack.test_prometheus_e2e import _replay

EVERY_KIND = """\
receivers:
  - name: team
    webhook: http://127.0.0.1:9099/hook
  - name: chat
    apprise: [ntfy://ntfy.example/alerts]
rules:
  - name: daily-budget
    spend: {over: 0.01, per: day, by: user}
    notify: [team, chat]
    block: true
  - name: team-month
    spend: {over: 250, per: month, by: team}
  - name: model-week
    spend: {over: 40, per: week, by: model}
  - name: plan
    limit: {plan: seven_day, used_over: 80}
  - name: errors
    spike: {of: error_rate, over: 0.2, window: 15m, by: user}
    for: 5m
    repeat: 1h
    notify: team
  - name: retries
    spike: {of: retries_exhausted, over: 2, window: 1h}
  - name: refusals
    spike: {of: refusals, over: 0, window: 10m}
  - name: quiet
    silence: {by: user, after: 6h, seen_within: 7d}
"""


def _files(text: str) -> dict[str, str]:
    return render(StackOptions(), StackAlerts(parse(text), "alerts.yaml"))


def _write(tmp: Path, files: dict[str, str]) -> None:
    for rel, body in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_text(body)


def _run(*cmd: str, cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_generated_rules_and_alertmanager_config_pass_promtool_and_amtool(
        tmp_path: Path) -> None:
    files = _files(EVERY_KIND)
    _write(tmp_path, files)
    out = _run("promtool", "check", "rules", str(tmp_path / "alerts.rules.yml"))
    assert "SUCCESS: 7 rules found" in out  # the limit rule needs ccotel serve
    assert "Not here (they need ccotel serve's limits ledger): plan" in files["alerts.rules.yml"]
    _run("amtool", "check-config", str(tmp_path / "alertmanager.yml"))
    # The whole prometheus.yml, rule_files and alerting included, is valid too.
    config = files["prometheus.yml"].replace("/etc/prometheus/alerts.rules.yml",
                                             str(tmp_path / "alerts.rules.yml"))
    (tmp_path / "prometheus.yml").write_text(config)
    assert "SUCCESS: 1 rule files found" in _run(
        "promtool", "check", "config", str(tmp_path / "prometheus.yml"))
    compose = yaml.safe_load(files["docker-compose.yml"])
    assert "alertmanager" in compose["services"]
    assert "./alerts.rules.yml:/etc/prometheus/alerts.rules.yml:ro" in \
        compose["services"]["prometheus"]["volumes"]
    am = yaml.safe_load(files["alertmanager.yml"])
    routes = {(r["receiver"], r["matchers"][0], r["repeat_interval"])
              for r in am["route"]["routes"]}
    assert routes == {("team", 'ccotel_rule="daily-budget"', "4h"),
                      ("team", 'ccotel_rule="errors"', "1h")}
    assert "Apprise receivers are sent by ccotel serve only: chat" in files["alertmanager.yml"]


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose missing: apt-get install docker-compose")
def test_docker_compose_config_validates_the_stack_with_alertmanager(tmp_path: Path) -> None:
    init(tmp_path, password="pw", alerts=StackAlerts(parse(EXAMPLE), "alerts.yaml"))
    out = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=False,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    services = yaml.safe_load(out.stdout)["services"]
    am = services["alertmanager"]
    assert [str(p) for p in am["ports"]] == ["127.0.0.1:9093:9093/tcp"]
    assert "http://localhost:9093/-/healthy" in " ".join(am["healthcheck"]["test"])
    assert any("alerts.rules.yml" in str(v) for v in services["prometheus"]["volumes"])


def test_without_alerts_the_stack_has_no_alertmanager() -> None:
    files = render(StackOptions())
    assert "alerts.rules.yml" not in files and "alertmanager" not in files["docker-compose.yml"]
    assert "rule_files" not in files["prometheus.yml"]


# `promtool test rules`: what fires, for whom, when. Series are cumulative USD/counts as
# Prometheus scrapes them; every Claude Code session is a series of its own.
UNIT_TESTS = """\
rule_files: [alerts.rules.yml]
evaluation_interval: 1m
tests:
  # Spend: alice's two sessions add up past $0.01 at 3m; bob stays under; a day later the
  # same totals are no spend of the last 24 hours (nothing false after it).
  - interval: 1m
    input_series:
      - series: 'claude_code_cost_usage_USD_total{user_id="alice",session_id="a1",model="m"}'
        values: '0.004 0.006 0.006 0.006x1500'
      - series: 'claude_code_cost_usage_USD_total{user_id="alice",session_id="a2",model="m"}'
        values: '_ _ _ 0.005 0.005x1500'
      - series: 'claude_code_cost_usage_USD_total{user_id="bob",session_id="b1",model="m"}'
        values: '0.001 0.002 0.009 0.009x1500'
    alert_rule_test:
      - eval_time: 2m
        alertname: daily-budget
        exp_alerts: []
      - eval_time: 3m
        alertname: daily-budget
        exp_alerts:
          - exp_labels: {user_id: alice, severity: warning, ccotel_rule: daily-budget}
            exp_annotations:
              summary: 'Claude Code spend of user alice: $0.01 in the last 24 hours (budget $0.01)'
      - eval_time: 1445m
        alertname: daily-budget
        exp_alerts: []
  # A restarted Claude Code reusing its session: the series drops, and counts from the
  # restart (the spend before it is no longer visible to Prometheus; ccotel serve keeps it).
  - interval: 1m
    input_series:
      - series: 'claude_code_cost_usage_USD_total{user_id="carol",session_id="c1",model="m"}'
        values: '0.008 0.009 0.001 0.011'
    alert_rule_test:
      - eval_time: 2m
        alertname: daily-budget
        exp_alerts: []
      - eval_time: 3m
        alertname: daily-budget
        exp_alerts:
          - exp_labels: {user_id: carol, severity: warning, ccotel_rule: daily-budget}
            exp_annotations:
              summary: 'Claude Code spend of user carol: $0.01 in the last 24 hours (budget $0.01)'
  # Error rate: 3 errors in 10 requests within 15m is over 20%, and fires after for: 5m.
  - interval: 1m
    input_series:
      - series: 'claude_code_api_request_count_total{user_id="alice",session_id="a1",model="m"}'
        values: '0 10 10x30'
      - series: 'claude_code_api_error_count_total{user_id="alice",session_id="a1",model="m"}'
        values: '0 3 3x30'
      - series: 'claude_code_api_request_count_total{user_id="bob",session_id="b1",model="m"}'
        values: '0 10 10x30'
      - series: 'claude_code_api_error_count_total{user_id="bob",session_id="b1",model="m"}'
        values: '0 1 1x30'
    alert_rule_test:
      - eval_time: 4m
        alertname: errors
        exp_alerts: []
      - eval_time: 6m
        alertname: errors
        exp_alerts:
          - exp_labels: {user_id: alice, severity: warning, ccotel_rule: errors}
            exp_annotations: {summary: error rate 0.3 in the last 15m (threshold 0.2)}
      - eval_time: 20m
        alertname: errors
        exp_alerts: []
  # Counts: three exhausted retries within the hour; a single refusal.
  - interval: 1m
    input_series:
      - series: 'claude_code_api_retries_exhausted_count_total{user_id="alice",session_id="a1"}'
        values: '1 2 3 3x100'
      - series: 'claude_code_api_refusal_count_total{user_id="bob",session_id="b1"}'
        values: '_ 1 1x30'
    alert_rule_test:
      - eval_time: 1m
        alertname: retries
        exp_alerts: []
      - eval_time: 2m
        alertname: retries
        exp_alerts:
          - exp_labels: {severity: warning, ccotel_rule: retries}
            exp_annotations: {summary: retries exhausted 3 in the last 1h (threshold 2)}
      - eval_time: 70m
        alertname: retries
        exp_alerts: []
      - eval_time: 5m
        alertname: refusals
        exp_alerts:
          - exp_labels: {severity: warning, ccotel_rule: refusals}
            exp_annotations: {summary: refusals 1 in the last 10m (threshold 0)}
  # Silence: alice works for 2 hours then stops; bob keeps going; after 6 quiet hours
  # alice (only) is silent.
  - interval: 10m
    input_series:
      - series: 'claude_code_token_usage_tokens_total{user_id="alice",session_id="a1",type="input",model="m"}'
        values: '100+100x12 1300x60'
      - series: 'claude_code_token_usage_tokens_total{user_id="bob",session_id="b1",type="input",model="m"}'
        values: '100+100x72'
    alert_rule_test:
      - eval_time: 7h
        alertname: quiet
        exp_alerts: []
      - eval_time: 8h30m
        alertname: quiet
        exp_alerts:
          - exp_labels: {user_id: alice, severity: warning, ccotel_rule: quiet}
            exp_annotations:
              summary: no Claude Code telemetry for 6h from a user seen in the last 7d
"""


def test_promtool_test_rules_with_series_fixtures(tmp_path: Path) -> None:
    _write(tmp_path, _files(EVERY_KIND))
    (tmp_path / "tests.yml").write_text(UNIT_TESTS)
    assert "SUCCESS" in _run("promtool", "test", "rules", "tests.yml", cwd=tmp_path)


def test_stack_init_alerts_option_writes_the_files_or_names_the_bad_line(
        tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(EXAMPLE)
    out = CliRunner().invoke(main, ["stack", "init", str(tmp_path / "s"), "--alerts", str(rules)])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "s" / "alerts.rules.yml").exists()
    assert "alertmanager:" in (tmp_path / "s" / "docker-compose.yml").read_text()
    rules.write_text(EXAMPLE.replace("per: day", "per: year"))
    bad = CliRunner().invoke(main, ["stack", "init", str(tmp_path / "t"), "--alerts", str(rules)])
    assert bad.exit_code == 1
    assert f"--alerts: {rules}:6: spend.per must be one of day, week, month" in bad.output
    assert not (tmp_path / "t").exists()


# -- for real ------------------------------------------------------------------------------

@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with receiver() as rec:
        yield rec


def _start(cmd: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.e2e
def test_real_prometheus_and_alertmanager_fire_once_into_a_webhook(
        tmp_path: Path, webhook: Receiver) -> None:
    url, got = webhook.url, webhook.got
    files = _files(EXAMPLE.replace("http://127.0.0.1:9099/hook", url))
    _write(tmp_path, files)
    srv = start_server(tmp_path / "data")
    am_port, prom_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(_start([
            "prometheus-alertmanager", f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address="]))
        (tmp_path / "prom.yml").write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files: ['{tmp_path / 'alerts.rules.yml'}']\n"
            "alerting:\n  alertmanagers:\n    - static_configs:\n"
            f"        - targets: ['127.0.0.1:{am_port}']\n"
            "scrape_configs:\n  - job_name: ccotel\n    honor_labels: true\n"
            "    metrics_path: /metrics/claude-code\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{srv.info['metrics_port']}']\n")
        procs.append(_start([
            "prometheus", f"--config.file={tmp_path / 'prom.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prom'}",
            f"--web.listen-address=127.0.0.1:{prom_port}"]))
        wait(lambda: httpx.get(f"http://127.0.0.1:{am_port}/-/ready").status_code == 200,
             "alertmanager ready")
        wait(lambda: httpx.get(f"http://127.0.0.1:{prom_port}/-/ready").status_code == 200,
             "prometheus ready")
        # One recorded Claude Code run ($0.01578) as alice: over her $0.01 a day.
        _replay({"http": srv.http}, "basic", user="alice")
        # Prometheus: scrape 1s, evaluate 1s; Alertmanager: group_wait 10s.
        wait(lambda: got, "the webhook notification", timeout=90)
        # Prometheus re-sends the firing alert every evaluation; Alertmanager must not
        # notify again before the rule's repeat interval (4h).
        time.sleep(8)
        assert len(got) == 1, got
        (note,) = got
        assert note["status"] == "firing" and note["receiver"] == "team"
        (alert,) = note["alerts"]
        assert alert["labels"]["alertname"] == "daily-budget"
        assert alert["labels"]["user_id"] == "alice"
        assert alert["annotations"]["summary"] == (
            "Claude Code spend of user alice: $0.02 in the last 24 hours (budget $0.01)")
    finally:
        for proc in reversed(procs):
            _stop(proc)
        srv.stop()

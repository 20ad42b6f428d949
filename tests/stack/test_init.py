"""`ccotel stack init`: golden files, safe re-runs, the .env secret, the stack's safety."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ccotel.cli import main
from ccotel.stack import generate
from ccotel.stack.generate import StackError, StackOptions, init, render
from tests import golden

GOLDEN = Path(__file__).parent / "golden"


def test_every_generated_file_matches_its_golden_file() -> None:
    golden.check_tree(GOLDEN, render(StackOptions()))


def test_init_writes_every_file_and_a_private_env(tmp_path: Path) -> None:
    result = init(tmp_path / "stack", password="s3cret")
    d = tmp_path / "stack"
    assert {c.status for c in result.changes} == {"created"}
    assert result.env_created
    for rel, text in render(StackOptions()).items():
        assert (d / rel).read_text() == text
    env = d / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert "GRAFANA_ADMIN_PASSWORD=s3cret" in env.read_text()


def test_generated_password_is_random_and_kept_on_rerun(tmp_path: Path) -> None:
    init(tmp_path)
    first = (tmp_path / ".env").read_text()
    assert "GRAFANA_ADMIN_PASSWORD=" in first and len(first.split("PASSWORD=")[1].strip()) >= 20
    os.chmod(tmp_path / ".env", 0o644)
    result = init(tmp_path, force=True)
    assert not result.env_created
    assert (tmp_path / ".env").read_text() == first
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_rerun_keeps_user_changes_and_shows_the_diff(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    prom = tmp_path / "prometheus.yml"
    prom.write_text(prom.read_text() + "# my own scrape job\n")
    result = init(tmp_path, StackOptions(metrics_retention="30d"))
    by_path = {c.path: c for c in result.changes}
    assert by_path["prometheus.yml"].status == "kept"
    assert "-# my own scrape job" in by_path["prometheus.yml"].diff
    assert prom.read_text().endswith("# my own scrape job\n")
    # Files the user never touched follow the new options.
    assert by_path["docker-compose.yml"].status == "updated"
    assert "--storage.tsdb.retention.time=30d" in (tmp_path / "docker-compose.yml").read_text()
    assert "+      - --storage.tsdb.retention.time=30d" in by_path["docker-compose.yml"].diff
    result = init(tmp_path, StackOptions(metrics_retention="30d"), force=True)
    assert {c.path: c.status for c in result.changes}["prometheus.yml"] == "overwritten"
    assert "# my own scrape job" not in prom.read_text()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    result = init(tmp_path / "s", dry_run=True)
    assert result.changes and not (tmp_path / "s").exists()


def test_safe_defaults_loopback_viewer_and_seed_versions() -> None:
    compose = yaml.safe_load(render(StackOptions())["docker-compose.yml"])
    services = compose["services"]
    ports = [p for s in services.values() for p in s.get("ports", [])]
    assert sorted(int(p.split(":")[1]) for p in ports) == [3030, 3100, 4317, 4318, 8888, 9090]
    assert all(p.startswith("127.0.0.1:") for p in ports)
    env = services["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD")
    assert [services[s]["image"] for s in ("otel-collector", "loki", "prometheus", "grafana")] == [
        "otel/opentelemetry-collector-contrib:0.96.0", "grafana/loki:2.9.4",
        "prom/prometheus:v2.49.1", "grafana/grafana:10.3.3"]
    assert set(compose["volumes"]) == {"prometheus-data", "loki-data", "grafana-data"}
    assert set(compose["networks"]) == {"claude-monitoring"}


def test_options_reach_the_files() -> None:
    files = render(StackOptions(anonymous_role="off", grafana_port=3999, bind="0.0.0.0",
                                logs_retention="90d", metrics_retention="7d"))
    compose = yaml.safe_load(files["docker-compose.yml"])
    grafana = compose["services"]["grafana"]
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "GF_AUTH_ANONYMOUS_ORG_ROLE" not in grafana["environment"]
    assert grafana["ports"] == ["0.0.0.0:3999:3000"]
    assert yaml.safe_load(files["loki-config.yaml"])["limits_config"]["retention_period"] == "2160h"
    collector = yaml.safe_load(files["otel-collector-config.yaml"])
    assert collector["exporters"]["prometheus"]["metric_expiration"] == "168h"


@pytest.mark.parametrize("bad", [{"anonymous_role": "Root"}, {"metrics_retention": "soon"},
                                 {"grafana_port": 70000}])
def test_bad_options_say_what_to_fix(bad: dict[str, object]) -> None:
    with pytest.raises(StackError):
        StackOptions(**bad)  # type: ignore[arg-type]


def test_cli_init_then_rerun(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["stack", "init", str(tmp_path / "s")])
    assert out.exit_code == 0, out.output
    assert "created  docker-compose.yml" in out.output and ".env" in out.output
    (tmp_path / "s" / "loki-config.yaml").write_text("# mine\n")
    out = runner.invoke(main, ["stack", "init", str(tmp_path / "s"), "--json"])
    files = {f["path"]: f for f in json.loads(out.output)["files"]}
    assert files["loki-config.yaml"]["status"] == "kept"
    assert files["docker-compose.yml"]["status"] == "unchanged"


def test_manifest_records_what_ccotel_wrote(tmp_path: Path) -> None:
    init(tmp_path)
    manifest = json.loads((tmp_path / generate.MANIFEST).read_text())
    assert set(manifest["files"]) == set(render(StackOptions()))

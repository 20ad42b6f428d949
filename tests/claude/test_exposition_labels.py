"""/metrics/claude-code stays valid whatever attribute keys Claude Code (or anyone) sends:
label names sanitised as the collector's Prometheus exporter does, checked by `promtool
check metrics` over fuzzed keys and by a real Prometheus scraping a real `ccotel serve`."""

from __future__ import annotations

import json
import random
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccotel.claude import exposition
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.conftest import start_server

NASTY_KEYS = ["", "__name__", "__x", "_x", "job", "instance", "1abc", "9", "a.b", "a_b",
              "a-b", "é", "ключ", "le", "user.email", "key with spaces", "\"quoted\"", "a:b",
              "\n", "=", "{}", "_"]
PROMTOOL = shutil.which("promtool")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")  # Prometheus's rule for label names


@pytest.mark.parametrize(("key", "name"), [
    ("session.id", "session_id"), ("2fa", "key_2fa"), ("_x", "key_x"),
    ("__name__", "key__name__"), ("__x", "key__x"), ("_", "key_"), ("a-b:c", "a_b_c"),
    ("é", "key_"), ("a é", "a__"), ("", ""), ("Model", "Model")])
def test_label_names(key: str, name: str) -> None:
    assert exposition.label_name(key) == name


def _series(attrs: dict[str, Any], resource: dict[str, Any]) -> dict[str, str]:
    text = exposition._labels(attrs, resource)
    line = f"m{{{text}}} 1\n"
    parsed = _parse(line)
    return parsed[0] if parsed else {}


def _parse(text: str) -> list[dict[str, str]]:
    from prometheus_client.parser import text_string_to_metric_families

    return [dict(s.labels) for fam in text_string_to_metric_families(text)
            for s in fam.samples]


def test_collisions_are_merged_and_empty_keys_dropped() -> None:
    labels = _series({"a.b": "1", "a_b": "2", "a-b": "3", "": "gone", "__name__": "n"},
                     {"service.name": "claude-code", "host.name": "h"})
    # Sorted original keys: "a-b" < "a.b" < "a_b".
    assert labels == {"a_b": "3;1;2", "key__name__": "n", "job": "claude-code",
                      "host_name": "h", "service_name": "claude-code"}
    # The point's own attribute wins over the resource's for the same key.
    assert _series({"k": "point"}, {"k": "resource"}) == {"k": "point"}


def _export(name: str, attrs: dict[str, str], resource: dict[str, str], t: int) -> bytes:
    def kv(d: dict[str, str]) -> list[dict[str, Any]]:
        return [{"key": k, "value": {"stringValue": v}} for k, v in d.items()]

    return json.dumps({"resourceMetrics": [{
        "resource": {"attributes": kv({"service.name": "claude-code", **resource})},
        "scopeMetrics": [{"scope": {"name": "com.anthropic.claude_code"}, "metrics": [{
            "name": name, "unit": "", "description": "fuzzed keys",
            "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": [{
                "attributes": kv(attrs), "startTimeUnixNano": str(t - 10**9),
                "timeUnixNano": str(t), "asDouble": 1.5}]}}]}]}]}).encode()


def _promtool(text: str) -> None:
    """`promtool check metrics`: a parse error exits 1 ("error while linting"); lint
    remarks (naming style) exit 3 and are not what this test is about."""
    assert PROMTOOL is not None
    run = subprocess.run([PROMTOOL, "check", "metrics"], input=text, text=True,
                         capture_output=True, timeout=30, check=False)
    assert run.returncode in (0, 3) and "error while linting" not in run.stderr + run.stdout, (
        run.stdout + run.stderr, text)


KEYS = st.one_of(st.sampled_from(NASTY_KEYS), st.text(max_size=8))
ATTRS = st.dictionaries(KEYS, st.text(max_size=6), max_size=6)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian: prometheus) is not installed")
def test_fuzzed_keys_make_an_exposition_promtool_accepts(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)  # one store: each example adds its series to the last
    writer = Writer(con)
    t = time.time_ns()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(points=st.lists(st.tuples(ATTRS, ATTRS), min_size=1, max_size=4))
    def check(points: list[tuple[dict[str, str], dict[str, str]]]) -> None:
        nonlocal t
        for attrs, resource in points:
            t += 1
            writer.write_now(decode_request(
                "metrics", _export("claude_code.fuzz.count", attrs, resource, t), "json"))
        text = exposition.render(con.cursor())
        _promtool(text)
        # Every series is in the exposition, under valid, unreserved names only.
        samples = _parse(text)
        assert samples
        for labels in samples:
            assert all(LABEL_NAME.fullmatch(k) and not k.startswith("__") for k in labels)

    try:
        check()
    finally:
        con.close()


# -- a real Prometheus scrapes it -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real `ccotel serve` and a real Prometheus scraping its /metrics/claude-code."""
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus (Debian: prometheus) is not installed")
    srv = start_server(tmp_path / "data")
    d = tmp_path / "prometheus"
    d.mkdir()
    (d / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n  - job_name: ccotel\n    honor_labels: true\n"
        "    metrics_path: /metrics/claude-code\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{srv.info['metrics_port']}']\n")
    port = _free_port()
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={d / 'prometheus.yml'}",
         f"--storage.tsdb.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield srv.http, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        srv.stop()


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    try:
        body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return []
    return list(body.get("data", {}).get("result", []))


@pytest.mark.e2e
def test_a_real_prometheus_scrapes_fuzzed_keys(scraped: tuple[str, str]) -> None:
    otlp, prom = scraped
    rng = random.Random(11)
    alphabet = "aZ09._-:/ é__\"\\\n="
    t = time.time_ns()
    for i in range(40):
        keys = rng.sample(NASTY_KEYS, 4) + ["".join(rng.choice(alphabet) for _ in range(
            rng.randint(0, 6))) for _ in range(3)]
        attrs = {k: f"v{i}-{n}" for n, k in enumerate(keys)}
        resource = {rng.choice(NASTY_KEYS): f"r{i}"}
        r = httpx.post(f"{otlp}/v1/metrics", content=_export("claude_code.fuzz.count", attrs,
                                                             resource, t + i),
                       headers={"content-type": "application/json"}, timeout=10)
        assert r.status_code == 200, r.text
    deadline = time.monotonic() + 60
    up: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        up = _query(prom, 'up{job="ccotel"}')
        series = _query(prom, "claude_code_fuzz_count_total")
        if up and up[0]["value"][1] == "1" and len(series) == 40:
            break
        time.sleep(0.5)
    assert up and up[0]["value"][1] == "1", up
    assert len(series) == 40  # every fuzzed series arrived, none merged or lost

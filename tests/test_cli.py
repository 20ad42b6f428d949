"""The `ccotel` command: ports, environment, errors a user can act on, reports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ccotel.cli import main
from tests.conftest import start_server
from tests.otlp.test_http_spec import send_capture


def test_env_prints_the_seed_block_for_each_protocol() -> None:
    out = CliRunner().invoke(main, ["env"]).output
    assert out.splitlines() == [
        "export CLAUDE_CODE_ENABLE_TELEMETRY=1",
        "export OTEL_METRICS_EXPORTER=otlp",
        "export OTEL_LOGS_EXPORTER=otlp",
        "export OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
        "export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317",
    ]
    http = CliRunner().invoke(main, ["env", "--protocol", "http/json", "--http-port", "5318"]).output
    assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/json" in http
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:5318" in http


def test_env_settings_format_and_token_header() -> None:
    out = CliRunner().invoke(main, ["env", "--format", "settings", "--token", "s3cret"]).output
    env = json.loads(out)["env"]
    assert env["OTEL_EXPORTER_OTLP_HEADERS"] == "Authorization=Bearer s3cret"


def test_env_for_the_stack_switches_to_cumulative() -> None:
    out = CliRunner().invoke(main, ["env", "--stack"]).output
    assert "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative" in out


def test_settings_come_from_the_environment() -> None:
    out = CliRunner().invoke(main, ["env"], env={"CCOTEL_GRPC_PORT": "5317"}).output
    assert "http://localhost:5317" in out


def test_a_busy_port_is_a_one_line_error_that_says_what_to_do(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ccotel", "serve", "--data-dir", str(tmp_path),
             "--grpc-port", "0", "--http-port", str(port), "--ui-port", "0",
             "--metrics-port", "0"], capture_output=True, text=True, timeout=60)
    finally:
        busy.close()
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1, proc.stderr
    assert f"port {port}" in err[0] and "in use" in err[0] and "--http-port" in err[0]


def test_busy_grpc_port_is_reported(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "a")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ccotel", "serve", "--data-dir", str(tmp_path / "b"),
             "--grpc-port", str(srv.info["grpc_port"]), "--http-port", "0", "--ui-port", "0",
             "--metrics-port", "0"], capture_output=True, text=True, timeout=60)
    finally:
        srv.stop()
    assert proc.returncode != 0 and "(grpc)" in proc.stderr and "in use" in proc.stderr


def test_second_server_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "d")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ccotel", "serve", "--data-dir", str(tmp_path / "d"),
             "--grpc-port", "0", "--http-port", "0", "--ui-port", "0", "--metrics-port", "0"],
            capture_output=True, text=True, timeout=60)
    finally:
        srv.stop()
    assert proc.returncode != 0 and "in use by another process" in proc.stderr


def test_startup_prints_the_chosen_ports_and_the_claude_code_lines(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "d")
    # server.json (what start_server waits for) is written just before the banner: on a
    # busy machine, stopping at once could come first.
    deadline = time.monotonic() + 30
    while "OTEL_EXPORTER_OTLP_ENDPOINT" not in srv.output and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.stop()
    out = srv.output
    assert f"127.0.0.1:{srv.info['grpc_port']}" in out
    assert f"export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:{srv.info['grpc_port']}" in out
    assert f"http://localhost:{srv.info['ui_port']}" in out


def test_report_summary_reads_the_api_when_serving_and_the_file_when_not(tmp_path: Path) -> None:
    data = tmp_path / "d"
    srv = start_server(data)
    try:
        send_capture(srv, "basic")
        args = ["report", "summary", "--from", "0", "--to", "4102444800000", "--json",
                "--data-dir", str(data)]
        live = subprocess.run([sys.executable, "-m", "ccotel", *args], capture_output=True,
                              text=True, timeout=60, env=os.environ)
        assert live.returncode == 0, live.stderr
        via_api = json.loads(live.stdout)
        assert via_api == srv.summary(to="4102444800000")
    finally:
        srv.stop()
    offline = subprocess.run([sys.executable, "-m", "ccotel", *args], capture_output=True,
                             text=True, timeout=60)
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout) == via_api
    assert via_api["requests"] == 2


def test_report_summary_without_a_store_says_what_to_do(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["report", "summary", "--data-dir", str(tmp_path)])
    assert res.exit_code != 0 and "ccotel serve" in res.output


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-45"])
def test_bad_times_are_clear_errors(tmp_path: Path, bad: str) -> None:
    res = CliRunner().invoke(main, ["report", "summary", "--from", bad, "--data-dir",
                                    str(tmp_path)])
    assert res.exit_code == 2 and "not a time" in res.output


def test_one_settings_table_states_each_default_once() -> None:
    """`Settings` has a field per table entry and takes its default from the table; the
    store's own memory default is the same value."""
    import dataclasses
    import inspect

    from ccotel.settings import DEBUG_SETTINGS, SETTINGS, Settings
    from ccotel.store import schema

    table = {s.attr: s.default for s in (*SETTINGS, *DEBUG_SETTINGS)}
    assert {f.name for f in dataclasses.fields(Settings)} == set(table)
    defaults = Settings(data_dir=Path("unused"))
    for name, default in table.items():
        if name != "data_dir":
            assert getattr(defaults, name) == default, name
    memory = inspect.signature(schema.connect).parameters["memory_limit"].default
    assert memory == defaults.memory_limit


def test_every_command_shares_the_table_options() -> None:
    """`demo`, `import` and the reports take --data-dir and --token from the one table:
    same env var, same help."""
    from ccotel.settings import setting

    ctx = click.Context(main)
    paths = [("demo",), ("import",), ("report", "daily"), ("report", "summary")]
    for path in paths:
        cmd: Any = main
        for name in path:
            cmd = cmd.get_command(ctx, name)
        opts = {p.name: p for p in cmd.params}
        for name in ("data-dir", "token"):
            s = setting(name)
            assert opts[s.attr].envvar == s.env, (path, name)


def test_each_error_has_an_exit_code_and_an_http_status() -> None:
    from ccotel import errors
    from ccotel.query import BadQuery
    from ccotel.server import StartupError
    from ccotel.stack.generate import StackError
    from ccotel.store.schema import SchemaError, StoreInUse

    expected = {errors.UsageError: (2, 400), errors.NotFound: (2, 404),
                errors.TooLarge: (2, 413), errors.Unauthorized: (1, 401),
                errors.Forbidden: (1, 403), errors.Busy: (1, 503),
                errors.Unreachable: (1, 502), errors.StoreError: (1, 500),
                BadQuery: (2, 400), SchemaError: (1, 500), StoreInUse: (1, 503),
                StartupError: (1, 500), StackError: (1, 500)}
    for cls, (code, status) in expected.items():
        exc = cls("what to do")
        assert isinstance(exc, errors.CcotelError)
        assert (exc.exit_code, errors.http_error(exc)[0]) == (code, status), cls
        assert errors.http_error(exc)[1] == {"error": {"status": status,
                                                       "message": "what to do"}}
    assert errors.http_error(errors.Busy("full", retry_after=2.4))[2] == {"Retry-After": "2"}
    status, body, _ = errors.http_error(KeyError("secret detail"))
    assert status == 500 and "secret" not in json.dumps(body)

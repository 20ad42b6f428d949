"""`import`, `report` and `demo` reach a running server through the one client: https with
the certificate named in its server.json (pinned: the name it was issued for does not
matter, another certificate is refused) and the token from CCOTEL_TOKEN."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ccotel.cli import main
from tests.conftest import Server
from tests.importer.corpus import build_test_corpus
from tests.reliability.conftest import Cert, serve, tls_cert  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

TOKEN = "client-tls-token"


def make_cert(d: Path, name: str) -> Cert:
    d.mkdir(parents=True, exist_ok=True)
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
    return Cert(cert, key)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, tls_cert: Cert) -> Iterator[Server]:  # noqa: F811
    s = serve(tmp_path_factory.mktemp("client-tls") / "data", "--tls-cert",
              str(tls_cert.cert), "--tls-key", str(tls_cert.key), "--token", TOKEN)
    yield s
    s.stop()


def ccotel(*args: str, token: str | None = TOKEN) -> Any:
    env = {"CCOTEL_TOKEN": token} if token else {"CCOTEL_TOKEN": None}
    return CliRunner().invoke(main, list(args), env=env)  # type: ignore[arg-type]


def test_import_and_report_go_through_the_tls_server(srv: Server, tmp_path: Path) -> None:
    assert srv.info["scheme"] == "https"
    corpus = build_test_corpus(tmp_path / "projects", days=2)
    imported = ccotel("import", str(corpus.root), "--data-dir", str(srv.data_dir), "--json")
    assert imported.exit_code == 0, imported.output
    out = json.loads(imported.stdout)
    assert out["via"] == "server" and out["inserted"] > 0
    live = ccotel("report", "daily", "--data-dir", str(srv.data_dir), "--source",
                  "transcript", "--tz", "UTC", "--json")
    assert live.exit_code == 0, live.output
    via_server = json.loads(live.stdout)
    assert via_server["totals"]["totalTokens"] > 0
    summary = ccotel("report", "summary", "--data-dir", str(srv.data_dir), "--from", "0",
                     "--json")
    assert summary.exit_code == 0, summary.output


def test_demo_goes_through_the_tls_server(srv: Server) -> None:
    result = ccotel("demo", "--users", "1", "--days", "1", "--data-dir", str(srv.data_dir),
                    "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["target"] == f"https://127.0.0.1:{srv.info['http_port']}"
    assert out["events"] > 0
    summary = ccotel("report", "summary", "--data-dir", str(srv.data_dir), "--from", "now-3d",
                     "--json")
    assert json.loads(summary.stdout)["requests"] > 0


@pytest.mark.parametrize("cmd", [
    ["report", "daily"], ["report", "summary"], ["demo", "--users", "1", "--days", "1"],
    ["import", "{projects}"]])
def test_without_the_token_each_command_says_so_in_one_line(srv: Server, tmp_path: Path,
                                                            cmd: list[str]) -> None:
    projects = build_test_corpus(tmp_path / "projects", days=1).root
    args = [a.replace("{projects}", str(projects)) for a in cmd]
    result = ccotel(*args, "--data-dir", str(srv.data_dir), token=None)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "wants its token" in lines[0] and "Traceback" not in result.output


def test_another_certificate_in_server_json_is_refused(srv: Server, tmp_path: Path) -> None:
    """The client trusts only the named certificate: one the server does not hold fails."""
    other = make_cert(tmp_path / "other", "localhost")
    fake = tmp_path / "fake"
    fake.mkdir(mode=0o700)
    (fake / "server.json").write_text(json.dumps({**srv.info, "tls_cert": str(other.cert)}))
    result = ccotel("report", "daily", "--data-dir", str(fake))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the ccotel server" in lines[0]
    assert "CERTIFICATE_VERIFY_FAILED" in lines[0]


def test_a_certificate_for_another_name_is_still_trusted(tmp_path: Path) -> None:
    """Pinned, not matched by name: a server on 0.0.0.0 with its public name's
    certificate is reached as 127.0.0.1."""
    cert = make_cert(tmp_path / "named", "ccotel.example")
    s = serve(tmp_path / "data", "--tls-cert", str(cert.cert), "--tls-key", str(cert.key),
              "--token", TOKEN)
    try:
        result = ccotel("report", "summary", "--data-dir", str(s.data_dir), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["requests"] == 0
    finally:
        s.stop()


def test_a_proxy_in_the_environment_never_sees_the_token(srv: Server) -> None:
    """HTTP(S)_PROXY pointing at a dead port: the client goes straight to the server."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    result = CliRunner().invoke(
        main, ["report", "summary", "--data-dir", str(srv.data_dir), "--json"],
        env={"CCOTEL_TOKEN": TOKEN, "HTTPS_PROXY": dead, "HTTP_PROXY": dead,
             "ALL_PROXY": dead, "NO_PROXY": ""})
    assert result.exit_code == 0, result.output

"""TLS with --tls-cert/--tls-key, on a self-signed certificate: the real SDK exporters
(gRPC and HTTP) trusting that certificate get in, plain-text and untrusting clients do
not; the dashboard and API are served over HTTPS with a Secure session cookie."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from click.testing import CliRunner
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from ccotel.cli import main
from tests.conftest import Server, capture_requests
from tests.reliability.conftest import Cert, Ledger, RecordingLogExporter, sdk_exporters, serve

pytestmark = pytest.mark.e2e

TOKEN = "tls-test-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, tls_cert: Cert) -> Iterator[Server]:
    s = serve(tmp_path_factory.mktemp("tls") / "data", "--tls-cert", str(tls_cert.cert),
              "--tls-key", str(tls_cert.key), "--token", TOKEN)
    yield s
    s.stop()


def https(srv: Server, port: str) -> str:
    return f"https://127.0.0.1:{srv.info[port]}"


def _summary(srv: Server, cert: Cert, user: str) -> dict[str, object]:
    r = httpx.get(f"{https(srv, 'ui_port')}/api/v1/summary", params={"from": "0", "user": user},
                  headers=BEARER, verify=ssl.create_default_context(cafile=str(cert.cert)),
                  timeout=30)
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


def _send_events(protocol: str, endpoint: str, cert: Path | None, user: str, n: int) -> Ledger:
    ledger = Ledger()
    log_exp, _ = sdk_exporters(protocol, endpoint, headers=BEARER, certificate=cert, timeout=5)
    lp = LoggerProvider(resource=Resource.create({"service.name": "claude-code"}))
    lp.add_log_record_processor(BatchLogRecordProcessor(RecordingLogExporter(log_exp, ledger)))
    logger = lp.get_logger("com.anthropic.claude_code.events")
    for i in range(n):
        logger.emit(body="claude_code.api_request", attributes={
            "session.id": f"tls-{user}", "user.id": user, "event.name": "api_request",
            "event.sequence": i, "model": "claude-opus-5-5", "input_tokens": 1})
    lp.force_flush(20_000)
    lp.shutdown()
    return ledger


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_sdk_exporter_trusting_the_certificate_gets_in(srv: Server, tls_cert: Cert,
                                                       protocol: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these variables override the exporter's own certificate_file.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    endpoint = (f"https://127.0.0.1:{srv.info['grpc_port']}" if protocol == "grpc"
                else https(srv, "http_port"))
    user = f"tls-ok-{protocol.replace('/', '-')}"
    ledger = _send_events(protocol, endpoint, tls_cert.cert, user, 5)
    assert ledger.failed_exports == 0 and len(ledger.events) == 5
    assert _summary(srv, tls_cert, user)["requests"] == 5


def test_the_metrics_port_is_tls_too(srv: Server, tls_cert: Cert) -> None:
    # Its /metrics/claude-code needs the token and has per-user labels: not in clear.
    url = f"{https(srv, 'metrics_port')}/metrics/claude-code"
    verify = ssl.create_default_context(cafile=str(tls_cert.cert))
    assert httpx.get(url, headers=BEARER, verify=verify, timeout=30).status_code == 200
    assert httpx.get(url, verify=verify, timeout=30).status_code == 401
    plain = f"http://127.0.0.1:{srv.info['metrics_port']}/metrics"
    with pytest.raises(httpx.HTTPError):
        httpx.get(plain, timeout=10)


def test_plain_text_grpc_is_refused(srv: Server, tls_cert: Cert) -> None:
    with grpc.insecure_channel(srv.grpc) as ch, pytest.raises(grpc.RpcError) as err:
        ch.unary_unary(LOGS)(b"", metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_grpc_not_trusting_the_certificate_is_refused(srv: Server, tls_cert: Cert) -> None:
    creds = grpc.ssl_channel_credentials()  # system roots: the self-signed cert is unknown
    with grpc.secure_channel(srv.grpc, creds) as ch, pytest.raises(grpc.RpcError) as err:
        ch.unary_unary(LOGS)(b"", timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_grpc_over_tls_still_needs_the_token(srv: Server, tls_cert: Cert) -> None:
    creds = grpc.ssl_channel_credentials(tls_cert.cert.read_bytes())
    with grpc.secure_channel(srv.grpc, creds) as ch, pytest.raises(grpc.RpcError) as err:
        ch.unary_unary(LOGS)(b"", timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("port", ["http_port", "ui_port"])
def test_plain_http_and_untrusting_https_are_refused(srv: Server, tls_cert: Cert,
                                                     port: str) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{srv.info[port]}/readyz", timeout=5)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{https(srv, port)}/readyz", timeout=5)  # system CAs only


def test_otlp_http_over_tls(srv: Server, tls_cert: Cert) -> None:
    import json

    body = json.dumps(next(r for r in capture_requests("basic")
                           if r["path"] == "/v1/logs")["body"])
    url = f"{https(srv, 'http_port')}/v1/logs"
    verify = ssl.create_default_context(cafile=str(tls_cert.cert))
    headers = {"content-type": "application/json"}
    assert httpx.post(url, content=body, headers=headers, verify=verify,
                      timeout=30).status_code == 401
    assert httpx.post(url, content=body, headers={**headers, **BEARER}, verify=verify,
                      timeout=30).status_code == 200


def test_dashboard_over_https_with_a_secure_cookie(srv: Server, tls_cert: Cert) -> None:
    verify = ssl.create_default_context(cafile=str(tls_cert.cert))
    with httpx.Client(base_url=https(srv, "ui_port"), verify=verify, timeout=10) as browser:
        assert browser.get("/readyz").status_code == 200
        assert browser.get("/api/v1/summary").status_code == 401
        r = browser.post("/login", data={"token": TOKEN, "next": "/api/v1/summary"})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert browser.get("/api/v1/summary").status_code == 200


def test_ccotel_env_points_at_https(tls_cert: Cert) -> None:
    out = CliRunner().invoke(main, ["env", "--protocol", "http/protobuf", "--tls-cert",
                                    str(tls_cert.cert)]).output
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=https://localhost:4318" in out


def test_missing_certificate_file_is_a_startup_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cannot read"):
        serve(tmp_path / "d", "--tls-cert", str(tmp_path / "nope.pem"), "--tls-key",
              str(tmp_path / "nope.key"))
    pem = tmp_path / "cert.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(RuntimeError, match="go together"):
        serve(tmp_path / "d", "--tls-cert", str(pem))


def test_report_summary_reaches_a_tls_server(srv: Server) -> None:
    """The CLI finds the running server in server.json and speaks https to it."""
    import json
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "ccotel", "report", "summary", "--from", "0", "--json",
         "--data-dir", str(srv.data_dir)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "CCOTEL_TOKEN": TOKEN})
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads(proc.stdout)) >= {"requests", "cost_usd", "tokens"}

"""Access: loopback by default, a token for everything else, refused and accepted each way.

In-process tests drive the auth middleware around the real web app; e2e tests drive a
real `ccotel serve` with the real SDK exporters, grpc metadata and `ccotel env`'s line.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ccotel import auth
from ccotel.cli import main
from ccotel.store import schema
from ccotel.web.app import WebContext, build_app
from tests.conftest import Server, capture_requests
from tests.reliability.conftest import serve
from tests.sdk_workload import send_workload

TOKEN = "s3cret-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


# -- the middleware, in process ---------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    con = schema.connect(tmp_path)
    app = auth.TokenAuth(build_app(WebContext(con.cursor)), auth.Authenticator(TOKEN))
    with TestClient(app, follow_redirects=False) as c:
        yield c
    con.close()


def test_readyz_stays_open(client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": f"Bearer {TOKEN}x"},
                                     {"Cookie": f"{auth.COOKIE}={TOKEN}"}])
def test_api_without_the_token_is_401_json(client: TestClient, headers: dict[str, str]) -> None:
    r = client.get("/api/v1/summary", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["status"] == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_api_with_the_bearer_header(client: TestClient) -> None:
    assert client.get("/api/v1/summary", headers=BEARER).status_code == 200


def test_pages_without_the_token_redirect_to_login(client: TestClient) -> None:
    r = client.get("/sessions?x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fsessions%3Fx%3D1"
    # Writes are refused outright, not redirected.
    assert client.post("/anything", content=b"x").status_code == 401


def test_login_form_then_cookie(client: TestClient) -> None:
    page = client.get("/login?next=/api/v1/summary")
    assert page.status_code == 200 and 'name="token"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert 'value="/api/v1/summary"' in page.text

    bad = client.post("/login", data={"token": "nope", "next": "/"})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    assert client.get("/api/v1/summary").status_code == 401

    ok = client.post("/login", data={"token": TOKEN, "next": "/api/v1/summary"})
    assert ok.status_code == 303 and ok.headers["location"] == "/api/v1/summary"
    cookie = ok.headers["set-cookie"]
    assert f"{auth.COOKIE}=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie  # the cookie is a signature, never the token
    assert "Secure" not in cookie  # plain HTTP here; see the TLS test
    assert client.get("/api/v1/summary").status_code == 200  # the client keeps the cookie

    out = client.get("/logout")
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    assert client.get("/api/v1/summary").status_code == 401


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_tokens_make_an_address_wait(tmp_path: Path) -> None:
    clock = Clock()
    con = schema.connect(tmp_path)
    app = auth.TokenAuth(build_app(WebContext(con.cursor)), auth.Authenticator(
        TOKEN, auth.Throttle(limit=10, window=60, clock=clock)))
    guesser = TestClient(app, follow_redirects=False, client=("203.0.113.7", 4000))
    other = TestClient(app, follow_redirects=False, client=("198.51.100.2", 4000))
    try:
        for i in range(10):
            clock.now += 1
            r = guesser.post("/login", data={"token": f"guess{i}"})
            assert r.status_code == 401, i
        r = guesser.post("/login", data={"token": "guess10"})
        assert r.status_code == 429 and r.headers["retry-after"] == "51"
        assert "try again in 51 s" in r.text
        # The right token waits too (or a guesser would learn when it hit), by form or
        # header; another address does not, and a request without a token is not a guess.
        assert guesser.post("/login", data={"token": TOKEN}).status_code == 429
        r = guesser.get("/api/v1/summary", headers=BEARER)
        assert r.status_code == 429 and r.json()["error"]["status"] == 429
        assert guesser.get("/api/v1/summary").status_code == 401
        assert other.get("/api/v1/summary", headers=BEARER).status_code == 200
        # Once the oldest wrong token is a minute old, one more try is allowed.
        clock.now += 51
        assert guesser.post("/login", data={"token": TOKEN}).status_code == 303
        # Wrong bearer headers count the same way.
        for _ in range(10):
            assert other.get("/api/v1/summary", headers={"Authorization": "Bearer x"}
                             ).status_code == 401
        assert other.get("/api/v1/summary", headers=BEARER).status_code == 429
    finally:
        guesser.close()
        other.close()
        con.close()


def test_the_throttle_forgets_success_and_old_addresses() -> None:
    clock = Clock()
    t = auth.Throttle(limit=3, window=60, clients=2, clock=clock)
    for _ in range(2):
        t.failed("a")
    t.succeeded("a")  # a right token clears the count
    t.failed("a")
    t.failed("a")
    assert t.wait("a") == 0
    t.failed("a")
    assert t.wait("a") == 60
    t.failed("b")
    t.failed("c")  # a third address: the first known ("a") is forgotten
    assert t.wait("a") == 0 and len(t._failures) == 2


def test_a_valid_cookie_does_not_excuse_a_wrong_bearer(tmp_path: Path) -> None:
    """The credential used is the `Authorization` header when there is one: a valid
    cookie beside it neither lets a wrong bearer in nor clears its failures."""
    clock = Clock()
    con = schema.connect(tmp_path)
    authenticator = auth.Authenticator(TOKEN, auth.Throttle(limit=10, window=60, clock=clock))
    app = auth.TokenAuth(build_app(WebContext(con.cursor)), authenticator)
    cookie = {"Cookie": f"{auth.COOKIE}={auth.session_cookie(TOKEN)}"}
    with TestClient(app, follow_redirects=False, client=("203.0.113.9", 4000)) as c:
        assert c.get("/api/v1/summary", headers=cookie).status_code == 200
        for i in range(9):
            r = c.get("/api/v1/summary", headers={**cookie, "Authorization": f"Bearer g{i}"})
            assert r.status_code == 401, i
        # A cookie-only request passes (it is no guess) and clears nothing.
        assert c.get("/api/v1/summary", headers=cookie).status_code == 200
        r = c.get("/api/v1/summary", headers={**cookie, "Authorization": "Bearer g9"})
        assert r.status_code == 401
        r = c.get("/api/v1/summary", headers={**cookie, "Authorization": "Bearer g10"})
        assert r.status_code == 429
        # The browser's own cookie still works while its address waits to guess again,
        # also beside a proxy's Basic credentials (not ccotel's: the cookie decides).
        assert c.get("/api/v1/summary", headers=cookie).status_code == 200
        basic = {**cookie, "Authorization": "Basic dXNlcjpwYXNz"}
        assert c.get("/api/v1/summary", headers=basic).status_code == 200
    con.close()


@pytest.mark.parametrize(("peer", "address"), [
    ("ipv4:127.0.0.1:50000", "127.0.0.1"), ("ipv6:[::1]:50000", "::1"),
    ("ipv6:%5B::1%5D:50000", "::1"), ("ipv6:[2001:db8::7]:1", "2001:db8::7"),
    ("unix:/tmp/x.sock", "/tmp/x.sock"), ("ipv6:[::ffff:192.0.2.1]:9", "192.0.2.1")])
def test_grpc_peers_are_addresses_as_for_http(peer: str, address: str) -> None:
    assert auth.peer_address(peer) == address


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "\\\\evil",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client: TestClient, target: str) -> None:
    r = client.post("/login", data={"token": TOKEN, "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_login_page_escapes_next(client: TestClient) -> None:
    page = client.get('/login?next=/"><script>alert(1)</script>')
    assert "<script>alert" not in page.text


def test_forged_expired_and_foreign_cookies_are_refused() -> None:
    now = 1_800_000_000.0
    good = auth.session_cookie(TOKEN, now)
    assert auth.session_ok(good, TOKEN, now)
    expires = good.split(".")[1]
    assert not auth.session_ok(good, TOKEN, int(expires) + 1)             # expired
    assert not auth.session_ok(good, "another-token", now)                # other server
    assert not auth.session_ok(good[:-1] + ("0" if good[-1] != "0" else "1"), TOKEN, now)
    later = good.replace(expires, str(int(expires) + 10**6), 1)           # extended
    assert not auth.session_ok(later, TOKEN, now)
    for junk in ("", "v1", "v1..", "v2.1.x", "v1.x.y", TOKEN):
        assert not auth.session_ok(junk, TOKEN, now)


def test_oversized_login_form_is_413(client: TestClient) -> None:
    r = client.post("/login", content=b"token=" + b"x" * 10_000,
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_secure_cookie_under_tls(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    app = auth.TokenAuth(build_app(WebContext(con.cursor)), auth.Authenticator(TOKEN),
                         secure=True)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        cookie = c.post("/login", data={"token": TOKEN}).headers["set-cookie"]
    con.close()
    assert "Secure" in cookie


# -- startup refusals ---------------------------------------------------------------------


@pytest.mark.e2e
def test_non_loopback_host_without_token_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="--token"):
        serve(tmp_path / "d", "--host", "0.0.0.0")


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["--insecure", "--token", "CCOTEL_TOKEN"])
def test_non_loopback_host_starts_with_a_token_or_insecure(tmp_path: Path, how: str) -> None:
    args: list[str] = ["--host", "0.0.0.0"]
    env = None
    if how == "--insecure":
        args.append("--insecure")
    elif how == "--token":
        args += ["--token", TOKEN]
    else:
        env = {"CCOTEL_TOKEN": TOKEN}
    srv = serve(tmp_path / "d", *args, env=env)
    try:
        expected = 200 if how == "--insecure" else 401
        assert httpx.get(f"{srv.ui}/api/v1/summary", timeout=10).status_code == expected
    finally:
        srv.stop()


@pytest.mark.e2e
def test_loopback_is_the_default(tmp_path: Path) -> None:
    srv = serve(tmp_path / "d")
    try:
        assert srv.info["host"] == "127.0.0.1"
    finally:
        srv.stop()


# -- a live server with a token -----------------------------------------------------------


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = serve(tmp_path_factory.mktemp("access") / "data", "--token", TOKEN)
    s.headers = BEARER  # type: ignore[attr-defined]  # used by Server.summary()
    yield s
    s.stop()


def _logs_json() -> bytes:
    req = next(r for r in capture_requests("basic") if r["path"] == "/v1/logs")
    return json.dumps(req["body"]).encode()


@pytest.mark.e2e
@pytest.mark.parametrize("header,status", [(None, 401), ("Bearer wrong", 401),
                                           (TOKEN, 401), (f"bearer {TOKEN}", 401),
                                           (f"Bearer {TOKEN}", 200)])
def test_otlp_http_needs_the_bearer_header(srv: Server, header: str | None, status: int) -> None:
    headers = {"content-type": "application/json"}
    if header is not None:
        headers["authorization"] = header
    r = httpx.post(f"{srv.http}/v1/logs", content=_logs_json(), headers=headers, timeout=30)
    assert r.status_code == status
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["code"] == 16  # UNAUTHENTICATED


@pytest.mark.e2e
@pytest.mark.parametrize("metadata,ok", [((), False), ((("authorization", "Bearer no"),), False),
                                         ((("authorization", f"Bearer {TOKEN}"),), True)])
def test_otlp_grpc_needs_the_bearer_metadata(srv: Server, metadata: Any, ok: bool) -> None:
    from ccotel.otlp.decode import parse_message

    body = parse_message("logs", _logs_json(), "json").SerializeToString()
    with grpc.insecure_channel(srv.grpc) as ch:
        call = ch.unary_unary(LOGS)
        if ok:
            call(body, metadata=metadata, timeout=10)
            return
        with pytest.raises(grpc.RpcError) as err:
            call(body, metadata=metadata, timeout=10)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_real_sdk_exporters_with_and_without_the_header(srv: Server, protocol: str) -> None:
    endpoint = f"http://{srv.grpc}" if protocol == "grpc" else srv.http
    user = f"u-noauth-{protocol}"
    send_workload(protocol, endpoint, sessions=1, turns=1, user=user)  # refused, not retried
    assert srv.summary(user=user)["requests"] == 0

    user = f"u-auth-{protocol}"
    exp = send_workload(protocol, endpoint, sessions=2, turns=3, headers=BEARER, user=user)
    s = srv.summary(user=user)
    assert s["requests"] == exp.requests == 6 and s["tokens"] == exp.tokens


@pytest.mark.e2e
def test_ccotel_env_prints_a_header_line_the_sdk_accepts(srv: Server, monkeypatch: Any) -> None:
    out = CliRunner().invoke(main, ["env", "--protocol", "http/protobuf", "--token", TOKEN,
                                    "--http-port", str(srv.info["http_port"])]).output
    line = next(ln for ln in out.splitlines() if "OTEL_EXPORTER_OTLP_HEADERS" in ln)
    assert line == f"export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer {TOKEN}'"
    # Give the real SDK exactly that environment (no headers in code): it is let in.
    value = shlex.split(line.split("=", 1)[1])[0]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", value)
    exp = send_workload("http/protobuf", srv.http, sessions=1, turns=2, user="u-env")
    assert srv.summary(user="u-env")["requests"] == exp.requests == 2
    # And CCOTEL_TOKEN is read as --token is.
    env_out = CliRunner().invoke(main, ["env"], env={"CCOTEL_TOKEN": "t2"}).output
    assert "Authorization=Bearer t2" in env_out


@pytest.mark.e2e
def test_dashboard_and_api_on_a_live_server(srv: Server) -> None:
    assert httpx.get(f"{srv.ui}/readyz", timeout=10).status_code == 200
    assert httpx.get(f"{srv.ui}/api/v1/summary", timeout=10).status_code == 401
    page = httpx.get(f"{srv.ui}/", timeout=10)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert httpx.get(f"{srv.ui}/api/v1/summary", headers=BEARER, timeout=10).status_code == 200
    with httpx.Client(base_url=srv.ui, timeout=10) as browser:
        r = browser.post("/login", data={"token": TOKEN, "next": "/api/v1/summary"},
                         follow_redirects=True)
        assert r.status_code == 200 and "requests" in r.json()
        assert browser.get("/").status_code != 303


@pytest.mark.e2e
def test_one_throttle_for_every_port(tmp_path: Path) -> None:
    """Wrong tokens on OTLP/gRPC, OTLP/HTTP, the metrics port and the API all count against
    one limit per address (10 a minute); past it every port makes the address wait, with
    the right token too, and says for how long."""
    from ccotel.otlp.decode import parse_message

    s = serve(tmp_path / "d", "--token", TOKEN)
    wrong = {"Authorization": "Bearer guess"}
    logs = _logs_json()
    body = parse_message("logs", logs, "json").SerializeToString()
    exposition = f"http://127.0.0.1:{s.info['metrics_port']}/metrics/claude-code"
    otlp = f"{s.http}/v1/logs"
    json_type = {"content-type": "application/json"}
    try:
        with grpc.insecure_channel(s.grpc) as ch:
            call = ch.unary_unary(LOGS)
            for _ in range(3):
                with pytest.raises(grpc.RpcError) as err:
                    call(body, metadata=(("authorization", "Bearer guess"),), timeout=10)
                assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
            for _ in range(3):
                r = httpx.post(otlp, content=logs, headers={**json_type, **wrong}, timeout=10)
                assert r.status_code == 401
            for _ in range(2):
                assert httpx.get(exposition, headers=wrong, timeout=10).status_code == 401
            for _ in range(2):
                r = httpx.get(f"{s.ui}/api/v1/summary", headers=wrong, timeout=10)
                assert r.status_code == 401
            # Ten wrong tokens from 127.0.0.1, over four ports: each port now makes it wait.
            with pytest.raises(grpc.RpcError) as err:
                call(body, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=10)
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            r = httpx.post(otlp, content=logs, headers={**json_type, **BEARER}, timeout=10)
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
            assert r.json()["code"] == 8  # RESOURCE_EXHAUSTED
            r = httpx.get(exposition, headers=BEARER, timeout=10)
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
            r = httpx.get(f"{s.ui}/api/v1/summary", headers=BEARER, timeout=10)
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
            r = httpx.post(f"{s.ui}/login", data={"token": TOKEN}, timeout=10)
            assert r.status_code == 429
        # Another address (127.0.0.2, also loopback) is not held up, and sees that none
        # of the refused exports was stored.
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"),
                             headers=BEARER, timeout=10)
        with other:
            r = other.get(f"{s.ui}/api/v1/summary", params={"from": "0"})
            assert r.status_code == 200 and r.json()["requests"] == 0
            r = other.post(otlp, content=logs, headers=json_type)
            assert r.status_code == 200
    finally:
        s.stop()


# -- DNS rebinding and the data dir -------------------------------------------------------


@pytest.mark.parametrize("host,status", [("localhost:3030", 200), ("127.0.0.1:3030", 200),
                                         ("[::1]:3030", 200), ("LOCALHOST", 200),
                                         ("app.localhost:3030", 200),
                                         ("evil.example:3030", 403), ("evil.example", 403),
                                         ("127.0.0.1.evil.example", 403), ("[::2]:3030", 403)])
def test_loopback_dashboard_answers_only_to_local_names(tmp_path: Path, host: str,
                                                        status: int) -> None:
    con = schema.connect(tmp_path)
    app = auth.LocalHostOnly(build_app(WebContext(con.cursor)))
    with TestClient(app) as c:
        assert c.get("/readyz", headers={"host": host}).status_code == status
    con.close()


@pytest.mark.e2e
def test_a_rebound_name_is_refused_by_a_live_server(tmp_path: Path) -> None:
    srv = serve(tmp_path / "d")
    try:
        port = srv.info["ui_port"]
        r = httpx.get(f"{srv.ui}/api/v1/summary", headers={"host": f"attacker.example:{port}"},
                      timeout=10)
        assert r.status_code == 403
        assert httpx.get(f"{srv.ui}/api/v1/summary", timeout=10).status_code == 200
        # The metrics port too: /metrics/claude-code carries per-user labels.
        metrics = f"http://127.0.0.1:{srv.info['metrics_port']}/metrics/claude-code"
        r = httpx.get(metrics, headers={"host": "attacker.example"}, timeout=10)
        assert r.status_code == 403
        assert httpx.get(metrics, timeout=10).status_code == 200
        # A new data dir is private to the user running ccotel.
        assert (tmp_path / "d").stat().st_mode & 0o077 == 0
    finally:
        srv.stop()

"""Writes from other sites: what a page on any web site can make a browser send without a
CORS preflight is refused on every port, and imported rows are bounded.

The requests are sent exactly as browsers send them (a no-cors `fetch` with `text/plain`,
a `<form enctype="text/plain">`, an urlencoded form, a DNS-rebound page), to a real
`ccotel serve`; then a real Chromium page on another origin does the same. Afterwards the
store must hold nothing, and the very same rows sent as a non-browser client sends them
must be taken (so the refusals are the guard's, not an endpoint that never worked).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ccotel import auth
from ccotel.store import schema
from ccotel.web.app import WebContext, build_app
from tests.conftest import Server, capture_requests
from tests.e2e.chromium import launched
from tests.reliability.conftest import serve

TOKEN = "cross-site-test-token"
EVIL = "https://evil.example"


def _rows(cost: float = 999.5, key: str = "tx-evil-1") -> dict[str, Any]:
    """One import row as `ccotel import` makes it: a transcript api_request."""
    return {"rows": [{"event_key": key, "event_name": "api_request", "source": "transcript",
                      "time_unix_nano": time.time_ns(), "session_id": "s-evil",
                      "model": "claude-sonnet-4-5", "input_tokens": 10, "output_tokens": 5,
                      "cost_usd": cost}], "files": []}


# What a cross-site page makes Chrome send: headers of a no-cors fetch and of a form post.
NO_CORS_FETCH = {"content-type": "text/plain;charset=UTF-8", "origin": EVIL,
                 "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors",
                 "sec-fetch-dest": "empty"}
TEXT_FORM = {"content-type": "text/plain", "origin": EVIL, "sec-fetch-site": "cross-site",
             "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
URLENCODED_FORM = {**TEXT_FORM, "content-type": "application/x-www-form-urlencoded"}
# A browser without fetch metadata (Safari before 16.4) still sends Origin on a POST.
ORIGIN_ONLY = {"content-type": "text/plain", "origin": EVIL}
NULL_ORIGIN = {"content-type": "text/plain", "origin": "null"}  # sandboxed iframe
SAME_SITE = {"content-type": "application/json", "origin": "http://127.0.0.1:9999",
             "sec-fetch-site": "same-site"}  # another port of the same host
BROWSER_WRITES = {"no-cors fetch": (NO_CORS_FETCH, 403), "text/plain form": (TEXT_FORM, 403),
                  "urlencoded form": (URLENCODED_FORM, 403), "Origin only": (ORIGIN_ONLY, 403),
                  "null Origin": (NULL_ORIGIN, 403), "same-site": (SAME_SITE, 403),
                  # Neither header (a very old browser): the content type still refuses it.
                  "no origin headers": ({"content-type": "text/plain"}, 415),
                  "multipart": ({"content-type": "multipart/form-data; boundary=x"}, 415),
                  "no content type": ({}, 415)}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default server: loopback, no token."""
    s = serve(tmp_path_factory.mktemp("cross-site") / "data")
    yield s
    s.stop()


def _stored(srv: Server) -> dict[str, Any]:
    """What the store counts (summary without its time range)."""
    s = srv.summary()
    return {k: s[k] for k in ("requests", "tokens", "cost_usd", "sessions")}


@pytest.mark.e2e
@pytest.mark.parametrize("how", list(BROWSER_WRITES))
def test_browser_writes_to_the_import_endpoint_are_refused(srv: Server, how: str) -> None:
    headers, status = BROWSER_WRITES[how]
    before = _stored(srv)
    r = httpx.post(f"{srv.ui}/api/v1/import/chunk", content=json.dumps(_rows()).encode(),
                   headers=headers, timeout=10)
    assert r.status_code == status, r.text
    assert r.json()["error"]["status"] == status
    assert _stored(srv) == before


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["/v1/logs", "/v1/metrics", "/v1/traces"])
def test_browser_writes_to_otlp_http_are_refused(srv: Server, path: str) -> None:
    body = json.dumps(next(r["body"] for r in capture_requests("basic")
                           if r["path"] == "/v1/logs")).encode()
    port = srv.info["http_port"]
    before = _stored(srv)
    for headers, status in [
        (NO_CORS_FETCH, 403), (TEXT_FORM, 403), ({"content-type": "text/plain"}, 415),
        # A page whose name was re-pointed at 127.0.0.1 (DNS rebinding) is same-origin to
        # the browser and may send JSON; the port serves no pages, so any Origin is foreign.
        ({"content-type": "application/json", "host": f"rebind.example:{port}",
          "origin": f"http://rebind.example:{port}", "sec-fetch-site": "same-origin"}, 403),
    ]:
        r = httpx.post(f"{srv.http}{path}", content=body, headers=headers, timeout=10)
        assert r.status_code == status, (headers, r.text)
    assert _stored(srv) == before


@pytest.mark.e2e
def test_own_pages_and_non_browser_clients_still_write(srv: Server) -> None:
    url = f"{srv.ui}/api/v1/import/chunk"
    before = _stored(srv)
    # A same-origin script of the dashboard itself (as the browser labels it).
    own = {"content-type": "application/json", "origin": srv.ui,
           "sec-fetch-site": "same-origin"}
    r = httpx.post(url, content=json.dumps(_rows(0.5, "tx-own")).encode(), headers=own,
                   timeout=10)
    assert r.status_code == 200 and r.json()["result"]["inserted"] == 1
    # Any client that is not a browser (ccotel import, curl) sends no Origin at all.
    r = httpx.post(url, json=_rows(0.25, "tx-script"), timeout=10)
    assert r.status_code == 200 and r.json()["result"]["inserted"] == 1
    assert _stored(srv)["cost_usd"] == pytest.approx(before["cost_usd"] + 0.75)
    body = json.dumps(next(r["body"] for r in capture_requests("basic")
                           if r["path"] == "/v1/logs")).encode()
    r = httpx.post(f"{srv.http}/v1/logs", content=body,
                   headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 200


BAD_ROWS = [("input_tokens", -1), ("output_tokens", 2**60), ("cache_read_tokens", 1.5),
            ("cache_creation_tokens", "12"), ("input_tokens", True),
            ("cost_usd", -0.01), ("cost_usd", 1e6), ("cost_usd", 1e308), ("cost_usd", "1"),
            ("time_unix_nano", 2**63), ("time_unix_nano", -1)]


@pytest.mark.e2e
@pytest.mark.parametrize(("field", "value"), BAD_ROWS)
def test_absurd_import_rows_are_a_400_naming_the_field(srv: Server, field: str,
                                                       value: Any) -> None:
    body = _rows(key=f"tx-bad-{field}")
    body["rows"][0][field] = value
    r = httpx.post(f"{srv.ui}/api/v1/import/chunk", json=body, timeout=10)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]["message"]


@pytest.mark.e2e
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_costs_are_a_400(srv: Server, literal: str) -> None:
    # Python's JSON reader takes these literals: they must not reach the store.
    text = json.dumps(_rows(key="tx-nan")).replace("999.5", literal)
    r = httpx.post(f"{srv.ui}/api/v1/import/chunk", content=text.encode(),
                   headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 400 and "cost_usd" in r.json()["error"]["message"]


# -- login (only with a token), in process -------------------------------------------------


@pytest.fixture
def token_app(tmp_path: Path) -> Iterator[TestClient]:
    con = schema.connect(tmp_path)
    app = auth.SameOriginWrites(auth.TokenAuth(build_app(WebContext(con.cursor)),
                                               auth.Authenticator(TOKEN)))
    with TestClient(app, base_url="http://127.0.0.1:3030", follow_redirects=False) as c:
        yield c
    con.close()


def test_a_cross_site_login_form_is_refused_and_not_counted(token_app: TestClient) -> None:
    form = {"token": TOKEN, "next": "/"}
    for _ in range(12):  # more than the throttle allows: none of them is counted
        r = token_app.post("/login", data=form, headers={"origin": EVIL,
                                                         "sec-fetch-site": "cross-site"})
        assert r.status_code == 403 and "set-cookie" not in r.headers
    own = {"origin": "http://127.0.0.1:3030", "sec-fetch-site": "same-origin"}
    r = token_app.post("/login", data=form, headers=own)
    assert r.status_code == 303 and "set-cookie" in r.headers
    # A method the route does not take, without a body: still the route's own 405.
    assert token_app.put("/login", headers=own).status_code == 405
    # The form's own content type only; JSON elsewhere.
    r = token_app.post("/login", content=json.dumps(form), headers={
        **own, "content-type": "application/json"})
    assert r.status_code == 415


def test_reads_are_not_affected(token_app: TestClient) -> None:
    headers = {"authorization": f"Bearer {TOKEN}", "origin": EVIL,
               "sec-fetch-site": "cross-site"}
    # A cross-site read is the browser's to hide (no CORS headers); ccotel needs no rule.
    assert token_app.get("/api/v1/summary", headers=headers).status_code == 200


@pytest.mark.parametrize(("headers", "scheme", "pages", "refused"), [
    ({}, "http", True, False),
    ({"origin": "http://127.0.0.1:3030", "host": "127.0.0.1:3030"}, "http", True, False),
    ({"origin": "HTTP://LOCALHOST:3030", "host": "localhost:3030"}, "http", True, False),
    ({"origin": "http://127.0.0.1:3030", "host": "127.0.0.1:3030"}, "https", True, True),
    ({"origin": "http://127.0.0.1:3031", "host": "127.0.0.1:3030"}, "http", True, True),
    ({"sec-fetch-site": "none"}, "http", True, False),
    ({"sec-fetch-site": "same-origin"}, "http", True, False),
    # Chromium blanks Origin to `null` under `Referrer-Policy: no-referrer`; its
    # Sec-Fetch-Site still says same-origin, and a page cannot set that header.
    ({"sec-fetch-site": "same-origin", "origin": "null"}, "http", True, False),
    ({"origin": "null"}, "http", True, True),
    ({"sec-fetch-site": "same-origin"}, "http", False, True),
    ({"sec-fetch-site": "none"}, "http", False, False),
    ({"origin": "http://127.0.0.1:4318", "host": "127.0.0.1:4318"}, "http", False, True),
])
def test_cross_site_rule(headers: dict[str, str], scheme: str, pages: bool,
                         refused: bool) -> None:
    assert (auth.cross_site(headers, scheme, pages=pages) is not None) is refused


# -- a real browser on another origin -----------------------------------------------------


ATTACK = """<!doctype html><html><body>
<form id="f" method="post" enctype="text/plain" action="{chunk}" target="sink">
<input name='{{"rows": [], "x": "' value='"}}'></form>
<iframe name="sink"></iframe>
<script>
fetch("{chunk}", {{method: "POST", mode: "no-cors", body: {body},
                  headers: {{"Content-Type": "text/plain"}}}});
fetch("{otlp}", {{method: "POST", mode: "no-cors", body: {logs},
                 headers: {{"Content-Type": "text/plain"}}}});
document.getElementById("f").submit();
</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


@pytest.mark.e2e
def test_a_page_on_another_site_cannot_write(srv: Server, browser: Any) -> None:
    before = _stored(srv)
    logs = json.dumps(next(r["body"] for r in capture_requests("basic")
                           if r["path"] == "/v1/logs"))
    page_html = ATTACK.format(chunk=f"{srv.ui}/api/v1/import/chunk",
                              otlp=f"{srv.http}/v1/logs",
                              body=json.dumps(json.dumps(_rows(key="tx-chromium"))),
                              logs=json.dumps(logs)).encode()

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(page_html)))
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    ctx = browser.new_context()
    page = ctx.new_page()
    seen: list[tuple[str, int]] = []
    page.on("response", lambda r: seen.append((r.url.split("/", 3)[3], r.status)))
    try:
        # `localhost` is another site than `127.0.0.1`, where ccotel is addressed.
        page.goto(f"http://localhost:{site.server_address[1]}/")
        deadline = time.monotonic() + 20
        while len(seen) < 4 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    finally:
        ctx.close()
        site.shutdown()
        site.server_close()
    # Each write (fetch and form to the import endpoint, fetch to OTLP) reached ccotel, so
    # it was really tried, and was refused.
    assert sorted(seen) == [("", 200), ("api/v1/import/chunk", 403),
                            ("api/v1/import/chunk", 403), ("v1/logs", 403)]
    after = _stored(srv)
    assert after == before


@pytest.mark.e2e
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_real_browser_signs_in_from_the_login_page(tmp_path: Path, browser: Any,
                                                     host: str) -> None:
    """The form's own POST carries what Chromium really sends (`Origin`, `Sec-Fetch-Site:
    same-origin`): the guard lets it through under either local name."""
    s = serve(tmp_path / "d", "--token", TOKEN)
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"http://{host}:{s.info['ui_port']}/login?next=/api/v1/summary")
        page.fill("#token", TOKEN)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url.endswith("/api/v1/summary")
        assert '"requests"' in page.content()
        assert any(c["name"] == auth.COOKIE for c in ctx.cookies())
    finally:
        ctx.close()
        s.stop()

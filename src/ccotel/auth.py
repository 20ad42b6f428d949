"""Who may use ccotel: one token check for every port, and no writes from other sites.

`Authenticator` is the only place a credential is judged. The dashboard/API (through the
`TokenAuth` middleware), OTLP/HTTP, OTLP/gRPC and `/metrics/claude-code` all ask the one
instance `ccotel serve` makes, so they share its comparisons (constant-time,
`hmac.compare_digest`) and its guessing throttle.

A request passes with `Authorization: Bearer <token>` (scripts, exporters, `ccotel report`)
or, on the dashboard/API, with the session cookie that `POST /login` sets (browsers). The
cookie never holds the token: it holds an expiry and an HMAC of it keyed by the token, so
changing the token logs everyone out and a leaked cookie does not give OTLP write access.
HttpOnly keeps it from page scripts; SameSite=Strict keeps other sites from riding on it;
Secure is set when ccotel serves TLS.

Which credential a request uses is decided first: a `Bearer` header is judged on its own
(a valid cookie beside a wrong bearer does not make the bearer right), else the cookie.
Guessing is slowed per client address (`Throttle`), across all ports together:
after 10 wrong tokens in a minute (bearer on any port, or the login form), every token
from that address gets 429 / RESOURCE_EXHAUSTED with a retry delay until the oldest of
them is a minute old, the right token included (or a guesser would learn when it hit).
Only the right token clears an address's failures; a cookie does not.

/readyz and /healthz stay open (health probes hold no data). Anything else without
credentials gets 401 JSON under /api/, and a redirect to /login for pages.

`SameOriginWrites` refuses what a web page on another site can make a browser send
without asking first (a "simple" request needs no CORS preflight: a no-cors `fetch` or a
`<form>` with `text/plain`, urlencoded or multipart bodies): every request that is not a
read must declare the exact content type of its body (`application/json`; the login form
its urlencoded one) and must not come from another origin (`Origin`, `Sec-Fetch-Site`).
Clients that are not browsers send neither header and pass. `cross_site` is that check,
also used by the OTLP/HTTP port, which serves no pages and so takes no browser request.

`LocalHostOnly` guards a loopback-only dashboard against DNS rebinding: a web page whose
domain is re-pointed at 127.0.0.1 is same-origin with the dashboard as far as the browser
knows, but its requests still carry its own name in `Host`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from ccotel import errors

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "ccotel_session"
SESSION_SECONDS = 30 * 24 * 3600
OPEN_PATHS = frozenset({"/readyz", "/healthz"})
MAX_FORM = 8192  # a login form is a few hundred bytes


def _sign(token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"ccotel-session-v1.{expires}".encode(),
                    hashlib.sha256).hexdigest()


def session_cookie(token: str, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    return f"v1.{expires}.{_sign(token, expires)}"


def session_ok(value: str | None, token: str, now: float | None = None) -> bool:
    if not value:
        return False
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit():
        return False
    expires = int(parts[1])
    if not hmac.compare_digest(parts[2].encode(), _sign(token, expires).encode()):
        return False
    return expires > (now if now is not None else time.time())


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out.setdefault(name, value)
    return out


def safe_next(target: str | None) -> str:
    """Where to go after login: a local path only (no open redirect to //evil or http:)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ccotel: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font:15px system-ui,sans-serif;background:#111418;color:#d8dee6;display:grid;
place-items:center;min-height:90vh;margin:0}}
form{{background:#1b2027;padding:2rem;border-radius:8px;min-width:18rem}}
input{{width:100%;box-sizing:border-box;padding:.5rem;margin:.5rem 0 1rem;background:#0d1013;
color:inherit;border:1px solid #39424e;border-radius:4px}}
button{{padding:.5rem 1rem}} .err{{color:#ff7b72}}
</style></head><body>
<form method="post" action="/login">
<h1>ccotel</h1>
<p>This server needs its token (the <code>--token</code> or <code>CCOTEL_TOKEN</code>
it was started with).</p>
{error}
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form></body></html>
"""


class Throttle:
    """Wrong tokens per client address: after `limit` within `window` seconds, the address
    waits until the oldest of them is `window` old. Remembers at most `clients` addresses
    (the longest known is forgotten first), so a flood of addresses cannot exhaust memory.
    Used from the one event loop that runs every server, so it needs no lock."""

    def __init__(self, limit: int = 10, window: float = 60.0, clients: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clients = clients
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait(self, client: str) -> int:
        """Whole seconds before `client` may try a token again (0: now)."""
        failures = self._failures.get(client)
        if failures is None:
            return 0
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return 0
        if len(failures) < self.limit:
            return 0
        return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, client: str) -> None:
        failures = self._failures.get(client)
        if failures is None:
            if len(self._failures) >= self.clients:
                del self._failures[next(iter(self._failures))]
            failures = self._failures[client] = deque(maxlen=self.limit)
        failures.append(self.clock())

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


@dataclass(frozen=True)
class Verdict:
    """What the authenticator decided: `ok`, or refused; `wait` > 0: refused because the
    address is throttled, for that many seconds."""

    ok: bool
    wait: int = 0


OPEN = Verdict(True)


class Authenticator:
    """The one token check of every port. Without a token everything passes."""

    def __init__(self, token: str | None, throttle: Throttle | None = None) -> None:
        self.token = token or None
        self.throttle = throttle or Throttle()
        self._bearer = f"Bearer {token}".encode() if token else b""

    @property
    def required(self) -> bool:
        return self.token is not None

    def bearer(self, client: str, header: str | None) -> Verdict:
        """An `Authorization` header (OTLP, /metrics/claude-code, the API). No header is
        no guess: refused, not counted."""
        if self.token is None:
            return OPEN
        if header is None:
            return Verdict(False)
        return self._judge(client, _same(header.strip().encode(), self._bearer))

    def password(self, client: str, given: str) -> Verdict:
        """The token typed into the login form."""
        if self.token is None:
            return OPEN
        return self._judge(client, bool(given) and _same(given.encode(), self.token.encode()))

    def web(self, client: str, headers: dict[str, str]) -> Verdict:
        """A dashboard/API request: its `Bearer` header if it has one (judged alone,
        whatever cookie comes with it), else its session cookie. A cookie is an HMAC, not a
        guessable token: a wrong one is refused without counting, a right one clears
        nothing. Another scheme (`Basic`, for a proxy in front) is not ccotel's: the cookie
        decides."""
        if self.token is None:
            return OPEN
        header = headers.get("authorization")
        if header is not None and header.strip()[:7].lower() == "bearer ":
            return self.bearer(client, header)
        return Verdict(session_ok(_cookies(headers).get(COOKIE), self.token))

    def session_cookie(self) -> str:
        if self.token is None:
            raise ValueError("no token, no session cookie")
        return session_cookie(self.token)

    def _judge(self, client: str, right: bool) -> Verdict:
        # The throttle is asked first: a throttled address learns nothing, right or wrong.
        if wait := self.throttle.wait(client):
            return Verdict(False, wait)
        if right:
            self.throttle.succeeded(client)
            return OPEN
        self.throttle.failed(client)
        return Verdict(False)


def _same(given: bytes, expected: bytes) -> bool:
    """Constant-time equality that does not tell the token's length either: the digests
    compared always have 32 bytes."""
    return hmac.compare_digest(hashlib.sha256(given).digest(), hashlib.sha256(expected).digest())


class TokenAuth:
    """Wrap an ASGI app so that every request but health checks needs the token."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, *, secure: bool = False,
                 open_paths: frozenset[str] = OPEN_PATHS) -> None:
        if not authenticator.required:
            raise ValueError("TokenAuth needs an authenticator with a token")
        self.app = app
        self.auth = authenticator
        self.secure = secure
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path in self.open_paths:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if path == "/login" and scope["type"] == "http":
            await self._login(scope, receive, send)
            return
        if path == "/logout" and scope["type"] == "http":
            await self._respond(send, 303, b"", [("location", "/login"),
                                                 ("set-cookie", self._cookie("", 0))])
            return
        verdict = self.auth.web(client_address(scope), headers)
        if verdict.ok:
            await self.app(scope, receive, send)
        elif verdict.wait:
            await self._too_many(scope, send, verdict.wait)
        else:
            await self._refuse(scope, send)

    # -- responses ----------------------------------------------------------------------

    def _cookie(self, value: str, max_age: int) -> str:
        parts = [f"{COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly",
                 "SameSite=Strict"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    async def _too_many(self, scope: Scope, send: Send, wait: int) -> None:
        message = f"too many wrong tokens from this address: try again in {wait} s"
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _error(send, 429, message, (("retry-after", str(wait)),))

    async def _refuse(self, scope: Scope, send: Send) -> None:
        path: str = scope.get("path", "")
        method = scope.get("method", "GET")
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if path.startswith("/api/") or method not in ("GET", "HEAD"):
            await _error(send, 401, "this ccotel needs its token: send 'Authorization: "
                         "Bearer <token>' or sign in at /login", (("www-authenticate", "Bearer"),))
            return
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        await self._respond(send, 303, b"", [("location", "/login?next=" + quote(target, safe=""))])

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET")
        if method in ("GET", "HEAD"):
            params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            await self._page(send, 200, safe_next(params.get("next", [None])[0]), "")
            return
        if method != "POST":
            await self._respond(send, 405, b"", [("allow", "GET, POST")])
            return
        body = await _read_body(receive, MAX_FORM)
        if body is None:
            await self._respond(send, 413, b"form too large", [("content-type", "text/plain")])
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        given = form.get("token", [""])[0]
        target = safe_next(form.get("next", [None])[0])
        verdict = self.auth.password(client_address(scope), given)
        if verdict.wait:
            await self._page(send, 429, target, f'<p class="err">Too many wrong tokens: '
                             f'try again in {verdict.wait} s.</p>',
                             [("retry-after", str(verdict.wait))])
            return
        if verdict.ok:
            await self._respond(send, 303, b"", [
                ("location", target),
                ("set-cookie", self._cookie(self.auth.session_cookie(), SESSION_SECONDS))])
            return
        await self._page(send, 401, target, '<p class="err">Wrong token.</p>')

    async def _page(self, send: Send, status: int, target: str, error: str,
                    headers: list[tuple[str, str]] | None = None) -> None:
        body = _PAGE.format(error=error, next=html.escape(target, quote=True)).encode()
        await self._respond(send, status, body,
                            [("content-type", "text/html; charset=utf-8"), *(headers or [])])

    async def _respond(self, send: Send, status: int, body: bytes,
                       headers: list[tuple[str, str]]) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        raw += [(b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                # The login page must not be framed (clickjacking) or leak the referrer to
                # other sites (`same-origin`: its form still sends a real `Origin`, which
                # `no-referrer` would blank to `null`).
                (b"x-frame-options", b"DENY"),
                (b"content-security-policy", b"frame-ancestors 'none'"),
                (b"referrer-policy", b"same-origin")]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def client_address(scope: Scope) -> str:
    """The peer's address (a proxy in front of ccotel makes all clients one)."""
    client = scope.get("client")
    return _address(str(client[0])) if client else ""


def peer_address(peer: str) -> str:
    """grpc's peer string -> the address alone, as `client_address` gives it for HTTP:
    `ipv4:127.0.0.1:5000` -> `127.0.0.1`, `ipv6:[::1]:5000` (or `%5B::1%5D`) -> `::1`."""
    kind, _, rest = unquote(peer).partition(":")
    if kind == "ipv6" and rest.startswith("["):
        return _address(rest[1:].split("]", 1)[0])
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    return rest or peer


def _address(address: str) -> str:
    """One spelling per client: an IPv4 client of a dual-stack socket (`::ffff:1.2.3.4`)
    is `1.2.3.4`, whichever server saw it."""
    lower = address.lower()
    return address[7:] if lower.startswith("::ffff:") and "." in address else address


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope.get("headers", ())}


LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """`Host` header -> host name without port: `[::1]:3030` -> `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class LocalHostOnly:
    """Refuse requests that name another host when ccotel listens on loopback only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                         if k.lower() == b"host"), None)
            # No Host at all is not a browser (they always send one): let it through.
            name = host_name(host) if host is not None else "localhost"
            if name not in LOCAL_NAMES and not name.endswith(".localhost"):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                body = (b"ccotel listens on this machine only and answers to localhost or "
                        b"127.0.0.1, not to other host names (DNS rebinding protection)")
                await send({"type": "http.response.start", "status": 403, "headers": [
                    (b"content-type", b"text/plain"),
                    (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def media_type(headers: dict[str, str]) -> str:
    """`Content-Type` without parameters, lower case (`''` when absent)."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def cross_site(headers: dict[str, str], scheme: str, *, pages: bool = True) -> str | None:
    """Why a request looks sent by a browser for a page of another origin (None: it does
    not). `Sec-Fetch-Site` `cross-site` or `same-site` (another port of the same host is
    same-site, not same-origin) is another origin; `same-origin` settles it the other way
    (browsers set it and pages cannot, while `Origin` may be `null` under a strict
    referrer policy). Without it (older browsers), an `Origin` that is not this server's
    own (`scheme://Host`) is another origin, `null` (sandboxed frames, files) included.
    With `pages=False` (a port that serves no pages) every browser request is foreign:
    any `Origin`, any `Sec-Fetch-Site` but `none` (typed in the address bar)."""
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site in ("cross-site", "same-site") or (not pages and site not in ("", "none")):
        return f"Sec-Fetch-Site: {site}"
    if pages and site == "same-origin":
        return None
    origin = headers.get("origin")
    if origin is None:
        return None
    own = f"{scheme}://{headers.get('host', '')}".lower()
    if not pages or origin.strip().lower() != own:
        return f"Origin: {origin[:200]}"
    return None


class SameOriginWrites:
    """Refuse writes a page of another site could make a browser send (see the module's
    docstring): 403 for a foreign origin, 415 for any content type but the exact one."""

    def __init__(self, app: ASGIApp, forms: frozenset[str] = frozenset({"/login"})) -> None:
        self.app = app
        self.forms = forms  # paths that take an HTML form (urlencoded) instead of JSON

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        why = cross_site(headers, scope.get("scheme", "http"))
        if why is not None:
            await _error(send, 403, f"refused: a write from another site ({why}); ccotel "
                         "takes writes only from its own pages and from non-browser clients")
            return
        want = FORM if scope.get("path", "") in self.forms else JSON
        got = media_type(headers)
        # A request without a body carries no data to mistype (and a method the route does
        # not take still gets its 405).
        has_body = headers.get("content-length", "0").strip() != "0" or (
            "transfer-encoding" in headers)
        if has_body and got != want:
            await _error(send, 415, f"unsupported Content-Type {got or '(none)'!r}: "
                         f"send {want}")
            return
        await self.app(scope, receive, send)


async def _error(send: Send, status: int, message: str,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
    """The JSON API's error shape (`errors.envelope`), for answers given before the app runs."""
    body = json.dumps(errors.envelope(status, message)).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)]})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    out = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        out += message.get("body", b"")
        if len(out) > limit:
            return None
        if not message.get("more_body", False):
            break
    return bytes(out)

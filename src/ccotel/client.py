"""The one client for a running `ccotel serve`, used by every command that talks to one
(`import`, `report`, `demo`).

It reads the server's `server.json` (`running.py`), speaks https when the server serves
TLS, trusting exactly the certificate the server names there, and sends the token
(`--token` / `CCOTEL_TOKEN`). Transport failures and refusals become `errors` classes with a
message that says what to do, so callers never see an httpx exception.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Self

from ccotel import errors
from ccotel.running import find_running

if TYPE_CHECKING:
    import httpx

RETRIES = 10  # attempts for an OTLP export the server asks to retry (429/503)


def trust(cert: str | Path) -> ssl.SSLContext:
    """An SSL context that trusts `cert` (the server's own certificate, perhaps
    self-signed) and nothing else. The certificate is pinned, so the name the server is
    reached by need not be in it: a server on 0.0.0.0 is reached as 127.0.0.1 whatever
    host name its certificate was issued for."""
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
    except (OSError, ssl.SSLError) as exc:
        raise errors.Unreachable(f"cannot read the server's certificate {cert}: {exc}") from None
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the leaf itself is the anchor
    ctx.check_hostname = False
    return ctx


def _local_host(host: str) -> str:
    """How to reach a server listening on `host` from this machine."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"[{host}]" if ":" in host else host


class Client:
    """Requests to one running server: its API (`ui`) port and its OTLP/HTTP port."""

    def __init__(self, urls: dict[str, str], token: str | None = None, *,
                 verify: ssl.SSLContext | bool = True, timeout: float = 60) -> None:
        self.urls = urls
        import httpx  # here: a report that reads the store directly starts faster

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # trust_env=False: no HTTP_PROXY may see the token, no SSL_CERT_FILE may widen trust.
        self.http = httpx.Client(headers=headers, verify=verify, timeout=timeout,
                                 trust_env=False)

    @classmethod
    def from_info(cls, info: dict[str, Any], token: str | None = None,
                  timeout: float = 60) -> Client:
        """A client for the server described by a `server.json`."""
        scheme = info.get("scheme", "http")
        host = _local_host(str(info.get("host", "127.0.0.1")))
        try:
            urls = {port: f"{scheme}://{host}:{int(info[f'{port}_port'])}"
                    for port in ("ui", "http")}
        except (KeyError, TypeError, ValueError):
            raise errors.Unreachable("the running server's server.json names no ports: "
                                     "restart 'ccotel serve'") from None
        verify: ssl.SSLContext | bool = True
        if scheme == "https" and info.get("tls_cert"):
            verify = trust(info["tls_cert"])
        return cls(urls, token, verify=verify, timeout=timeout)

    @classmethod
    def find(cls, data_dir: Path, token: str | None = None, timeout: float = 60
             ) -> Client | None:
        """A client for the server running on `data_dir`, or None when none runs."""
        info = find_running(data_dir)
        return None if info is None else cls.from_info(info, token, timeout)

    @classmethod
    def for_otlp_url(cls, url: str, token: str | None = None,
                     cert: Path | None = None) -> Client:
        """A client for an OTLP/HTTP endpoint given by the user (`demo --url`)."""
        if not url.startswith(("http://", "https://")):
            raise errors.UsageError(f"{url!r} is not an http:// or https:// URL")
        return cls({"http": url.rstrip("/")}, token,
                   verify=trust(cert) if cert is not None else True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- the API -----------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET an API path; the decoded JSON."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        return self._json(self._send("GET", "ui", path, params=params))

    def download(self, path: str, params: dict[str, Any], sink: BinaryIO) -> None:
        """GET an API path that answers a file, streamed into `sink` chunk by chunk."""
        import httpx

        params = {k: v for k, v in params.items() if v is not None}
        try:
            with self.http.stream("GET", self.urls["ui"] + path, params=params) as resp:
                if resp.status_code >= 300:
                    resp.read()
                    self._check(resp)
                sink.writelines(resp.iter_bytes(256 * 1024))
        except httpx.HTTPError as exc:
            why = str(exc) or type(exc).__name__
            raise errors.Unreachable(f"cannot reach the ccotel server at {self.urls['ui']} "
                                     f"({why}): is it still running?") from None

    def post(self, path: str, body: Any) -> Any:
        """POST JSON to an API path; the decoded JSON."""
        return self._json(self._send("POST", "ui", path, json=body))

    # -- OTLP --------------------------------------------------------------------------

    def export(self, signal: str, body: bytes,
               sleep: Callable[[float], None] = time.sleep) -> None:
        """POST one OTLP/HTTP protobuf export (`logs`, `metrics`, `traces`), backing off
        as long as the server asks (429/503 + Retry-After)."""
        headers = {"Content-Type": "application/x-protobuf"}
        for attempt in range(RETRIES):
            resp = self._send("POST", "http", f"/v1/{signal}", content=body, headers=headers)
            if resp.status_code not in (429, 503) or attempt == RETRIES - 1:
                break
            # The server asks us to back off while its writer catches up.
            sleep(_retry_after(resp) * (attempt + 1))
        self._check(resp)

    # -- one place for what can go wrong ------------------------------------------------

    def _send(self, method: str, port: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        url = self.urls[port] + path
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            why = str(exc) or type(exc).__name__
            raise errors.Unreachable(f"cannot reach the ccotel server at {self.urls[port]} "
                                     f"({why}): is it still running?") from None

    def _json(self, resp: httpx.Response) -> Any:
        self._check(resp)
        try:
            return resp.json()
        except ValueError:
            raise errors.Unreachable(f"the server at {resp.url} answered something that is "
                                     "not JSON: is it a ccotel server?") from None

    @staticmethod
    def _check(resp: httpx.Response) -> None:
        status = resp.status_code
        if status < 300:
            return
        try:
            message = str(resp.json()["error"]["message"])
        except Exception:  # any answer that is not ccotel's envelope
            message = resp.text[:200].strip() or resp.reason_phrase
        if status == 401:
            raise errors.Unauthorized("the running server wants its token: set CCOTEL_TOKEN "
                                      "(or --token) to the value of its --token")
        if status in (429, 503):
            raise errors.Busy(f"the server is busy ({status}): {message}; retry later",
                              retry_after=_retry_after(resp))
        if status == 404:
            raise errors.NotFound(f"the server has no {resp.request.url.path} ({message})")
        if status == 413:
            raise errors.TooLarge(f"the server refused a request as too large: {message}")
        if 400 <= status < 500:
            raise errors.UsageError(f"the server refused the request ({status}): {message}",
                                    status=status)
        raise errors.CcotelError(f"the server failed ({status}): {message}")


def _retry_after(resp: httpx.Response) -> float:
    try:
        return min(max(float(resp.headers.get("Retry-After", "1")), 0.1), 60.0)
    except ValueError:
        return 1.0


def read(data_dir: Path, path: str, params: dict[str, Any], local: Callable[[Any], Any],
         token: str | None = None) -> Any:
    """Ask the server running on `data_dir` (it holds the store's lock) when there is one,
    else read the store directly with `local(connection)`."""
    client = Client.find(data_dir, token)
    if client is not None:
        with client:
            return client.get(path, params)
    from ccotel.store import COMMAND_MEMORY_LIMIT, schema

    con = schema.connect(data_dir, read_only=True, memory_limit=COMMAND_MEMORY_LIMIT)
    try:
        return local(con)
    finally:
        con.close()

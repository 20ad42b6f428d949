"""Every HTTP port answers each request on a kept-alive connection at once: Nagle's
algorithm is off on the connections ccotel accepts, so the second write of a response
(headers, then body) does not wait for the client's delayed ACK (40 ms on Linux, on every
request after the first of a connection: a dashboard loading its panels over a browser's
six connections paid it on nearly all of them)."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from urllib.parse import urlsplit

from ccotel.server import bind
from tests.conftest import Server


def test_accepted_connections_have_nagle_off() -> None:
    """A connection accepted by asyncio from a socket `bind()` made has TCP_NODELAY."""
    async def main() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listening = bind("127.0.0.1", 0, "ui")
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        try:
            _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
            value = await asyncio.wait_for(accepted, 5)
            writer.close()
            return value
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(main()) != 0


def _get_ms(sock: socket.socket, host: str, path: str) -> float:
    """One GET on the kept-alive `sock`, ms until its whole answer is read."""
    t0 = time.perf_counter()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return (time.perf_counter() - t0) * 1000


def test_requests_on_a_kept_alive_connection_are_not_held_back(server: Server) -> None:
    """Ten requests after the first on one connection, on the dashboard, metrics and
    OTLP/HTTP ports: the median well under the 40 ms a delayed ACK would add to each."""
    for base, path in ((server.ui, "/readyz"), (server.metrics.removesuffix("/metrics"),
                                                "/metrics"),
                       (server.http, "/v1/logs")):
        url = urlsplit(base)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        with socket.create_connection((host, port), timeout=10) as sock:
            _get_ms(sock, f"{host}:{port}", path)
            times = [_get_ms(sock, f"{host}:{port}", path) for _ in range(10)]
        assert statistics.median(times) < 20, f"{base}{path}: {times}"

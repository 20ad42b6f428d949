"""Slow clients cannot hold ccotel: a real server under `ulimit -n 1024` gets 1,100 slow
connections (headers trickling in, a 2-byte body announced as 99,999,999,999 bytes, gRPC
connections that never say a word). Each is answered 408 or closed within the receipt
deadline, /readyz answers within a second throughout, OTLP/HTTP and gRPC exports succeed
during the flood, and everything works after it without a restart."""

from __future__ import annotations

import asyncio
import resource
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import psutil
import pytest

from tests.conftest import start_server
from tests.reliability.test_request_bounds import LOGS, PROTOBUF, logs_body

FD_LIMIT = 1024
DEADLINE_S = 2           # --request-timeout
SLACK_S = 6              # a loaded CI machine: how late a close may be
SLOW = {"trickle-headers": 450, "huge-content-length": 400, "ui-trickle": 100,
        "ui-huge-body": 50, "grpc-silent": 100}  # 1,100 sockets, more than the server's open-file limit


def _limit_fds() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


@dataclass
class Slow:
    kind: str
    opened: float
    closed: float | None = None
    answer: bytes = b""


async def _slow_client(kind: str, host: str, port: int, out: list[Slow]) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return  # refused outright (the kernel's queue): as good as closed at once
    slow = Slow(kind, time.monotonic())
    out.append(slow)

    async def trickle() -> None:
        if kind in ("huge-content-length", "ui-huge-body"):
            path, ctype = ((b"/v1/logs", b"application/x-protobuf") if kind[0] == "h"
                           else (b"/api/v1/import/chunk", b"application/json"))
            writer.write(b"POST " + path + b" HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: "
                         + ctype + b"\r\ncontent-length: 99999999999\r\n\r\nab")
            return
        if kind == "grpc-silent":
            return
        path = b"/readyz" if kind == "ui-trickle" else b"/v1/logs"
        for byte in b"GET " + path + b" HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: " + b"a" * 200:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.25)

    feeder = asyncio.create_task(trickle())
    try:
        slow.answer = await asyncio.wait_for(reader.read(4096), DEADLINE_S + SLACK_S + 5)
        while await asyncio.wait_for(reader.read(4096), 5):
            pass
    except (TimeoutError, OSError):
        pass
    finally:
        slow.closed = time.monotonic()
        feeder.cancel()
        writer.close()


async def _readyz_latencies(ui: str, until: float) -> list[float]:
    """/readyz as a separate client sees it (curl: the flood's own event loop, in this
    process, does not slow the measurement), each time on a new connection."""
    latencies = []
    while time.monotonic() < until:
        curl = await asyncio.create_subprocess_exec(
            "curl", "-sS", "-o", "/dev/null", "-m", "10", "-w", "%{http_code} %{time_total}",
            f"{ui}/readyz", stdout=asyncio.subprocess.PIPE)
        out, _ = await curl.communicate()
        code, seconds = out.decode().split()
        assert code == "200", out
        latencies.append(float(seconds))
        await asyncio.sleep(0.2)
    return latencies


async def _exports(srv, user: str) -> list[str]:  # type: ignore[no-untyped-def]
    """One OTLP/HTTP and one OTLP/gRPC export, each on a new connection; their sessions."""
    sessions = [str(uuid.uuid4()), str(uuid.uuid4())]
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(f"{srv.http}/v1/logs", content=logs_body(3, sessions[0], user),
                              headers=PROTOBUF)
        assert r.status_code == 200, r.text
    async with grpc.aio.insecure_channel(srv.grpc) as ch:
        await ch.unary_unary(LOGS)(logs_body(3, sessions[1], user), timeout=10)
    return sessions


@pytest.mark.e2e
def test_slow_clients_are_cut_off_and_readyz_stays_up(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2 * sum(SLOW.values()):
        pytest.skip(f"this test opens {sum(SLOW.values())} sockets: raise ulimit -n")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4 * sum(SLOW.values())), hard))
    srv = start_server(tmp_path / "data", "--request-timeout", str(DEADLINE_S),
                       preexec_fn=_limit_fds)
    user = f"u-slow-{uuid.uuid4()}"
    ports = {"trickle-headers": srv.info["http_port"], "huge-content-length":
             srv.info["http_port"], "ui-trickle": srv.info["ui_port"],
             "ui-huge-body": srv.info["ui_port"], "grpc-silent": srv.info["grpc_port"]}
    proc = psutil.Process(srv.proc.pid)
    slows: list[Slow] = []
    fds: list[int] = []

    async def flood() -> tuple[list[float], list[str]]:
        clients = [asyncio.create_task(_slow_client(kind, "127.0.0.1", ports[kind], slows))
                   for kind, n in SLOW.items() for _ in range(n)]
        await asyncio.sleep(0.5)  # every slow client connected and holding
        probe = asyncio.create_task(_readyz_latencies(srv.ui, time.monotonic() + DEADLINE_S + 2))
        fds.append(proc.num_fds())
        sessions = await _exports(srv, user)
        fds.append(proc.num_fds())
        latencies = await probe
        await asyncio.gather(*clients)
        return latencies, sessions

    try:
        latencies, sessions = asyncio.run(flood())
        # Recovered by itself: the same again with no slow client.
        assert httpx.get(f"{srv.ui}/readyz", timeout=1).status_code == 200
        after = asyncio.run(_exports(srv, user))
        summary = srv.summary(user=user)
    finally:
        srv.stop()
    assert len(slows) > 0.9 * sum(SLOW.values()), "the flood did not happen"
    assert max(latencies) < 1.0, f"/readyz took {max(latencies):.2f}s under the flood"
    late = [s for s in slows if s.closed is None or s.closed - s.opened > DEADLINE_S + SLACK_S]
    assert not late, f"{len(late)} slow clients held past the deadline: {late[:3]}"
    answered = [s for s in slows if s.kind.endswith(("content-length", "body")) and s.answer]
    assert answered and all(s.answer.startswith(b"HTTP/1.1 408") for s in answered)
    assert max(fds) <= FD_LIMIT
    assert summary["sessions"] == len(sessions + after) and summary["requests"] == 12
    assert "Traceback" not in srv.output and "Too many open files" not in srv.output, \
        srv.output[-2000:]
    print(f"\nslow clients: {len(slows)} held, /readyz worst {max(latencies) * 1000:.0f} ms, "
          f"longest hold {max(s.closed - s.opened for s in slows if s.closed):.1f} s, "
          f"server fds at most {max(fds)}")


async def _response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return head + await reader.readexactly(length)


@pytest.mark.e2e
def test_a_request_in_pieces_within_the_deadline_is_served_and_keep_alive_rearms(
        tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--request-timeout", str(DEADLINE_S))
    port = srv.info["ui_port"]

    async def run() -> tuple[bytes, bytes, bytes, float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"GET /readyz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
        for piece in (request[:10], request[10:25], request[25:]):  # within the deadline
            writer.write(piece)
            await asyncio.sleep(DEADLINE_S / 4)
        first = await asyncio.wait_for(_response(reader), 5)
        # The same connection, a second request, again in pieces: a new deadline.
        for piece in (request[:10], request[10:]):
            await asyncio.sleep(DEADLINE_S * 0.35)
            writer.write(piece)
        second = await asyncio.wait_for(_response(reader), 5)
        # A third one trickled a byte at a time (each byte would restart uvicorn's own
        # keep-alive timer): cut off by the deadline, with a 408.
        t0 = time.monotonic()

        async def trickle() -> None:
            for byte in request:
                writer.write(bytes([byte]))
                await asyncio.sleep(0.2)

        feeder = asyncio.create_task(trickle())
        rest = await asyncio.wait_for(reader.read(), DEADLINE_S + SLACK_S)
        feeder.cancel()
        writer.close()
        return first, second, rest, time.monotonic() - t0

    try:
        first, second, rest, idle = asyncio.run(run())
    finally:
        srv.stop()
    assert first.startswith(b"HTTP/1.1 200") and second.startswith(b"HTTP/1.1 200")
    assert rest.startswith(b"HTTP/1.1 408")
    assert DEADLINE_S - 0.5 <= idle <= DEADLINE_S + SLACK_S

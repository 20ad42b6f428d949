"""Bounds on every connection ccotel serves: a deadline to receive a whole request, a cap
on connections per port, and file descriptors kept in reserve.

Uvicorn alone holds a slow client forever: its keep-alive timer starts only after a
response, each byte received stops it, and nothing times a request still arriving. So
the HTTP ports (OTLP/HTTP, dashboard, metrics) serve with `guarded_h11`, uvicorn's h11
protocol plus:

- a receipt deadline: from the moment a connection opens, or a response ends, the client
  has `request_timeout` seconds to send a whole request (headers and body); past it, it
  gets 408 and the connection closes. The time the application then takes (an export
  waits for its commit) is not counted.
- a cap per port: past `max_connections`, a new connection displaces the one that has been
  sending its request the longest (a slow client, not one waiting for its answer); when
  every connection is waiting for its answer, the new one is closed at once.

The caps of the four ports together stay below the process's open-file limit, with a
reserve for the store, the logs and accepting (`per_port_cap`), so a flood of connections
on one port cannot take the descriptors /readyz or the writer need. gRPC has the same
bounds through its own options (otlp/grpc.py).
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# Descriptors left for everything but client connections: the store and its WAL, DuckDB's
# spill files, the listening sockets, logs, and the connections asyncio accepts in one go
# (ACCEPT_BATCH per port) before the cap can close the excess.
RESERVE_FDS = 64
ACCEPT_BATCH = 64
PORTS = 4


@dataclass(frozen=True)
class Limits:
    request_timeout: float = 15.0   # seconds to receive a whole request
    max_connections: int = 1024     # per port


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one; return the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def per_port_cap(max_connections: int, fd_limit: int) -> int:
    """Connections one port may hold so that all ports together leave the reserve free."""
    spare = fd_limit - RESERVE_FDS - PORTS * ACCEPT_BATCH
    return max(1, min(max_connections, spare // PORTS))


_TIMEOUT_BODY = b"request not received in time"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8"
                     b"\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
                     % (len(_TIMEOUT_BODY), _TIMEOUT_BODY))


_RECEIVING = (h11.IDLE, h11.SEND_BODY)  # the client's side while a request is arriving


def guarded_h11(limits: Limits, cap: int) -> type[H11Protocol]:
    """An h11 protocol class for one uvicorn server (one port) with the receipt deadline
    and the connection cap; pass it as `uvicorn.Config(http=...)`."""
    receiving: dict[Any, None] = {}  # this port's connections sending a request, oldest first

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > cap:
                victim = next(iter(receiving), None)
                if victim is None:  # everyone is waiting for an answer: refuse this one
                    self._stop_receiving()
                    transport.abort()
                    return
                victim.expire()
            self._start_receiving()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._deadline is not None and self.conn.their_state not in _RECEIVING:
                self._stop_receiving()  # the whole request is in: the app's time now

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state in _RECEIVING:
                self._start_receiving()  # the next request has the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_receiving()
            super().connection_lost(exc)

        def _start_receiving(self) -> None:
            self._stop_receiving()
            self._deadline = self.loop.call_later(limits.request_timeout, self.expire)
            receiving[self] = None

        def _stop_receiving(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            receiving.pop(self, None)

        def expire(self) -> None:
            """Out of time (or displaced): 408 unless a response has begun, then close."""
            self._stop_receiving()
            if self.transport.is_closing():
                return
            # A request in progress is the current cycle's, unless that one is answered:
            # then it is the next one, begun if some of it is buffered.
            cycle = self.cycle
            if ((cycle is not None and not cycle.response_complete
                    and not cycle.response_started)
                    or ((cycle is None or cycle.response_complete)
                    and self.conn.their_state is h11.IDLE and self.conn.trailing_data[0])):
                self.transport.write(_TIMEOUT_RESPONSE)  # say why it ends
            self.transport.close()

    return GuardedH11Protocol

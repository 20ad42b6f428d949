"""Decoding in a process of its own, so that it no longer shares the interpreter lock with
the writer: the decoding process decodes while the server's stores.

`ccotel serve` starts the decoding process as a fresh interpreter (`python -m
ccotel.otlp.worker`), which imports only what decoding needs (not DuckDB, Arrow or gRPC),
holds nothing of the server but one end of a socket pair, and runs in a session of its
own, so Ctrl-C in a terminal stops the server, which stops it. It exits when the socket
closes: when the server stops, or dies, even by SIGKILL.

The server sends it its `Prepare` (the limits of one export, the redaction and its key)
first, the writer's layout of the events table once the store is open (`set_layout`: the
events then come back as column buffers, `store/handover.py`), then one export at a time:
the ingestor's one decode thread calls the decoder, so the memory a request may take is
what it was in one process, its body there and its rows back. What comes back is the
`Batch` `Prepare` made of the export (its records counted on the wire, decoded, redacted),
or the error that stopped it, raised again here: 400 / 413 for a bad export, as before.

A decoding process that dies mid-export (a crash on some input, the kernel's OOM killer),
or is still at one export after DECODE_TIMEOUT_S (then it is killed), is started again, and
that export answered as a retry (503 / UNAVAILABLE: the exporter sends
it again); the server keeps running. When no decoding process can be started at all, the
server decodes in its own process, as `Prepare` itself, and says so in its log.
"""

from __future__ import annotations

import logging
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable

from ccotel.otlp.decode import Encoding
from ccotel.otlp.prepare import Prepare
from ccotel.store.rows import Batch, Signal

log = logging.getLogger("ccotel.otlp")

START_TIMEOUT_S = 30.0  # the interpreter's start and its imports, on a loaded machine
# The longest one export may take to decode: the largest JSON export --max-body allows takes
# seconds; a decoder stuck past this is stopped (it would hold up every export after it).
DECODE_TIMEOUT_S = 120.0


class DecoderStopped(RuntimeError):
    """The decoding process died on this export: the client is asked to retry it."""


class DecodeProcess:
    """`prepare` run in a child process; safe to call from several threads (one export at
    a time crosses the socket)."""

    def __init__(self, prepare: Prepare, timeout_s: float = DECODE_TIMEOUT_S,
                 on_restart: Callable[[], None] | None = None) -> None:
        self.prepare = prepare
        self.timeout_s = timeout_s
        self.on_restart = on_restart  # counted in ccotel's own metrics
        self._lock = threading.Lock()
        self._conn: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self.restarts = 0
        self.in_process = False  # no decoding process could start: `prepare` runs here
        self._layout_sent = True  # the Prepare it was started with holds the layout

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc is not None else 0

    def start(self) -> None:
        """Start the decoding process and hand it the `Prepare`; the first export waits
        until it is ready (its imports overlap the server's start). When it cannot start,
        decode in this process from now on."""
        ours, theirs = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                # -P: not the current directory first on the path (a `ccotel` folder
                # there would be imported instead)
                [sys.executable, "-P", "-m", "ccotel.otlp.worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                start_new_session=True)
        except (OSError, ValueError) as exc:  # no such interpreter; no pass_fds here
            ours.close()
            self._fall_back(f"cannot start it: {exc}")
            return
        finally:
            theirs.close()
        conn = ours
        try:
            send(conn, pickle.dumps(self.prepare, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            conn.close()
            self._reap()
            self._fall_back(f"it did not start: {exc}")
            return
        self._conn, self._ready = conn, False
        self._layout_sent = True

    def set_layout(self, layout: tuple[tuple[str, ...], bytes]) -> None:
        """The writer's layout of the events table (once the store is open): from the next
        export on, events come back as its column buffers (`handover.to_columns`), from this
        decoding process and any started later."""
        with self._lock:
            self.prepare.event_layout = layout
            self._layout_sent = False

    def _wait_ready(self, conn: socket.socket) -> bool:
        if not self._ready:
            try:
                conn.settimeout(START_TIMEOUT_S)
                if receive(conn) != b"ready":
                    raise EOFError("no answer")
                conn.settimeout(self.timeout_s)
            except (EOFError, OSError) as exc:  # OSError: TimeoutError too
                self._stop()
                self._fall_back(f"it did not start: {exc}")
                return False
            self._ready = True
        return True

    def _fall_back(self, why: str) -> None:
        log.warning("no decoding process (%s): decoding in the server's process", why)
        self.in_process = True

    def __call__(self, signal: Signal, body: bytes | bytearray, encoding: Encoding) -> Batch:
        with self._lock:
            conn = self._conn
            if conn is None or not self._wait_ready(conn):
                return self.prepare(signal, body, encoding)
            try:
                if not self._layout_sent:
                    send(conn, b"layout")
                    send(conn, pickle.dumps(self.prepare.event_layout))
                    self._layout_sent = True
                send(conn, f"{signal}\0{encoding}".encode())
                send(conn, body)
                ok, value = pickle.loads(receive(conn))
            except (EOFError, OSError) as exc:
                stuck = isinstance(exc, TimeoutError)
                what = (f"took longer than {self.timeout_s:g} s to decode an export"
                        if stuck else "stopped")
                log.error("the decoding process (pid %d) %s; starting another", self.pid,
                          what)
                self._stop(kill=stuck)
                self.restarts += 1
                if self.on_restart is not None:
                    self.on_restart()
                self.start()
                raise DecoderStopped(f"the decoder {what}; it was restarted: "
                                     "retry") from exc
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self, kill: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # the decoding process sees the end of the socket and exits
        if kill and self._proc is not None:
            self._proc.kill()
        self._reap()

    def _reap(self, timeout: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def send(sock: socket.socket, data: bytes | bytearray) -> None:
    """One message: its length (8 bytes), then its bytes, not copied."""
    sock.sendall(len(data).to_bytes(8, "big"))
    sock.sendall(data)


def receive(sock: socket.socket) -> bytearray:
    """One message `send` sent, read straight into one buffer of its size; EOFError when
    the other end closed."""
    return _exactly(sock, int.from_bytes(_exactly(sock, 8), "big"))


def _exactly(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError("the other end closed the socket")
        got += k
    return buf


def serve(conn: socket.socket) -> None:
    """The decoding process: its `Prepare`, then one export after another until the socket
    closes."""
    prepare = pickle.loads(receive(conn))
    send(conn, b"ready")
    while True:
        try:
            head = receive(conn)
            body = receive(conn)
        except (EOFError, OSError):
            return
        if head == b"layout":  # the writer's layout of the events table (`set_layout`)
            prepare.event_layout = pickle.loads(body)
            continue
        try:
            kind, encoding = head.decode().split("\0")
            out: tuple[bool, object] = (True, prepare(kind, body, encoding))
        except Exception as exc:  # raised again in the server
            out = (False, exc)
        del body  # before the rows are pickled: one copy of the export at a time
        try:
            data = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an error that does not pickle
            data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        del out
        try:
            send(conn, data)
        except OSError:
            return
        del data


def main(argv: list[str]) -> int:
    """`python -m ccotel.otlp.worker <fd>`: started by `ccotel serve` only, with its end of
    the socket pair; anything else ends it with one line on stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # its server stops it
    try:
        serve(socket.socket(fileno=int(argv[1])))
    except EOFError:  # its server stopped before sending anything
        return 1
    except Exception as exc:  # not a server at the other end (or none)
        print(f"ccotel decoding process: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

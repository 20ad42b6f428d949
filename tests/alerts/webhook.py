"""A webhook receiver on loopback for the alert tests: a real HTTP server recording each
JSON body it is sent, after answering 500 to the first `failures` requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.failures = 0
        self.url = ""


@contextmanager
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            failing = rec.failures > 0
            if failing:
                rec.failures -= 1
            else:
                rec.got.append(json.loads(body))
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()

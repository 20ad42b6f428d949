"""Finding a running `ccotel serve` from its data dir (kept light: no server imports)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SERVER_FILE = "server.json"


def find_running(data_dir: Path) -> dict[str, Any] | None:
    """The server.json of a live `ccotel serve` on this data dir, else None."""
    path = Path(data_dir) / SERVER_FILE
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def ui_endpoint(info: dict[str, Any]) -> tuple[str, dict[str, str], Any]:
    """How a command on this machine calls the running server's API: the base URL, the
    headers (the Bearer token of CCOTEL_TOKEN, if set) and httpx's `verify`."""
    token = os.environ.get("CCOTEL_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    host = info["host"] if info["host"] not in ("0.0.0.0", "::") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    # The server's own certificate may be self-signed: it is on this machine, named in
    # server.json next to the store, so trust it for this local call.
    verify: Any = True
    if info.get("scheme") == "https" and info.get("tls_cert"):
        verify = info["tls_cert"]
    return f"{info.get('scheme', 'http')}://{host}:{info['ui_port']}", headers, verify

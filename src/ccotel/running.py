"""Finding a running `ccotel serve` from its data dir (kept light: no server imports).

`server.json` tells clients where the server listens, whether it speaks TLS and with which
certificate: `client.py` trusts that certificate and sends the token there, so the file
is private (0600, in a 0700 data dir) and written whole or not at all.
"""

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
    return info if isinstance(info, dict) else None


def write_server_file(data_dir: Path, info: dict[str, Any]) -> Path:
    """Write `server.json` (mode 0600) atomically: a reader sees the old file or the new."""
    path = Path(data_dir) / SERVER_FILE
    tmp = path.with_name(f".{SERVER_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(info))
    os.chmod(tmp, 0o600)  # O_CREAT's mode does not apply to a file that was there
    os.replace(tmp, path)
    return path

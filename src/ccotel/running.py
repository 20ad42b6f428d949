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

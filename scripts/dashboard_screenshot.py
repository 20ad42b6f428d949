"""Regenerate docs/dashboard.png: `ccotel demo` data, `ccotel serve`, Debian's chromium.

    python scripts/dashboard_screenshot.py [--out docs/dashboard.png] [--range now-7d]

Needs `chromium` on PATH (Debian: apt-get install chromium) and the playwright package;
no browser is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars"]
READY = """() => [...document.querySelectorAll('.panel[data-panel]')].every(
  (p) => p.dataset.state === 'ready')"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    ap.add_argument("--range", default="now-7d")
    ap.add_argument("--users", default="8")
    ap.add_argument("--days", default="7")
    ap.add_argument("--width", type=int, default=1600)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ccotel-shot-") as tmp:
        data = Path(tmp) / "data"
        subprocess.run([sys.executable, "-m", "ccotel", "demo", "--users", args.users,
                        "--days", args.days, "--data-dir", str(data), "--json"], check=True,
                       stdout=subprocess.DEVNULL)
        proc = subprocess.Popen([sys.executable, "-m", "ccotel", "serve", "--data-dir", str(data),
                                 "--grpc-port", "0", "--http-port", "0", "--ui-port", "0",
                                 "--metrics-port", "0"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=os.environ.copy())
        try:
            server = data / "server.json"
            for _ in range(300):
                if server.exists():
                    break
                time.sleep(0.1)
            port = json.loads(server.read_text())["ui_port"]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
                page = browser.new_page(viewport={"width": args.width, "height": 1000},
                                        device_scale_factor=1)
                page.goto(f"http://127.0.0.1:{port}/?from={args.range}&to=now")
                page.wait_for_function(READY, timeout=30_000)
                page.wait_for_timeout(500)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate the dashboard screenshots in docs/: `ccotel demo` data, `ccotel serve`,
Debian's chromium.

    python scripts/dashboard_screenshot.py [--out docs] [--range now-7d]

Writes dashboard.png (1600 px wide), dashboard-ja.png (the same page in Japanese, 1280 px),
dashboard-phone.png (390 px) and session.png (the most expensive session's page).
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

from playwright.sync_api import Browser, sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars"]
READY = """() => [...document.querySelectorAll('.panel[data-panel]')].every(
  (p) => p.dataset.state === 'ready')"""
SESSION_READY = "() => document.getElementById('session').dataset.state === 'ready'"
# name, width, page (relative to the dashboard URL), full page or the first screen
SHOTS = (("dashboard.png", 1600, "", True), ("dashboard-ja.png", 1280, "&lang=ja", False),
         ("dashboard-phone.png", 390, "", False))


def shoot(browser: Browser, url: str, width: int, out: Path, ready: str, full: bool) -> None:
    page = browser.new_page(viewport={"width": width, "height": 1000 if full else 900},
                            device_scale_factor=1)
    page.goto(url)
    page.wait_for_function(ready, timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(out), full_page=full)
    page.close()
    print(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs"), help="folder for the PNGs")
    ap.add_argument("--range", default="now-7d")
    ap.add_argument("--users", default="8")
    ap.add_argument("--days", default="7")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
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
            base = f"http://127.0.0.1:{json.loads(server.read_text())['ui_port']}"
            dashboard = f"{base}/?from={args.range}&to=now"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
                for name, width, extra, full in SHOTS:
                    shoot(browser, dashboard + extra, width, args.out / name, READY, full)
                page = browser.new_page()
                page.goto(dashboard)
                page.wait_for_function(READY, timeout=30_000)
                href = page.get_attribute("#panel-top_sessions tbody tr:first-child a", "href")
                page.close()
                shoot(browser, base + href, 1280, args.out / "session.png", SESSION_READY, False)
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: `ccotel statusline` against `ccusage statusline` on the same input.

Claude Code runs its statusLine command after every update and waits for its line, so the
time that counts is the whole process, start to exit, as Claude Code sees it. Both read
the statusline JSON recorded from the real CLI on stdin, alternately, `--runs` times each;
ccotel as installed (`<venv>/bin/ccotel statusline`, sending its snapshot from a detached
child: with `--server` to a running `ccotel serve`, else with no server found), ccusage
20.0.24 from `.tools/` with `--offline` (no price download).

    python bench/statusline.py              # 15 runs each, a few seconds
    python bench/statusline.py --server     # with a ccotel serve receiving the snapshots

Last line: ccotel_ms_p50=<median ms> ccusage_ms_p50=<median ms> ratio=<ccotel/ccusage>
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT = ROOT / "tests" / "data" / "claude-inputs" / "statusline.json"
CCUSAGE = ROOT / ".tools" / "node_modules" / ".bin" / "ccusage"


def timed(cmd: list[str], stdin: bytes, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=60,
                          check=False)
    elapsed = (time.perf_counter() - t0) * 1000
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"{cmd[0]} failed: {proc.returncode} {proc.stderr[:300]!r}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--server", action="store_true",
                    help="start a ccotel serve and let the statusline send it snapshots")
    args = ap.parse_args()
    if not CCUSAGE.exists():
        raise SystemExit("ccusage is not installed: bash scripts/install-test-tools.sh")
    ccotel = Path(sys.executable).parent / "ccotel"
    stdin = INPUT.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": f"{tmp}/cache", "CCOTEL_DATA_DIR": f"{tmp}/data",
               "HOME": tmp, "NO_COLOR": "1"}
        server = None
        if args.server:
            sys.path.insert(0, str(ROOT))
            from tests.conftest import start_server

            server = start_server(Path(tmp) / "data")
        try:
            ours = [ccotel, "statusline"] if ccotel.exists() else [
                sys.executable, "-m", "ccotel", "statusline"]
            theirs = [str(CCUSAGE), "statusline", "--offline"]
            for cmd in (ours, theirs):  # warm the page cache once each
                timed([str(c) for c in cmd], stdin, env)
            a: list[float] = []
            b: list[float] = []
            for _ in range(args.runs):
                a.append(timed([str(c) for c in ours], stdin, env))
                b.append(timed(theirs, stdin, env))
        finally:
            if server is not None:
                server.stop()
    p50a, p50b = statistics.median(a), statistics.median(b)
    print(f"ccotel_ms_p50={p50a:.1f} ccusage_ms_p50={p50b:.1f} ratio={p50a / p50b:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

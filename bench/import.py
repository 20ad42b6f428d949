"""Benchmark: a 1 GB Claude Code transcript history, ccusage against ccotel.

    python bench/import.py [--size-mb 1024] [--workdir DIR] [--keep]

Generates the corpus with the test generator (real Claude Code 2.1.332 line shapes, with
duplicates, sidechain replays and resumed sessions), then times, one after the other
(each --repeat times, keeping the fastest: the machine may be busy with other work):

  ccusage_s       `ccusage daily --offline --json` (ccusage 20.0.24; .tools/ or PATH)
  ccotel_first_s  `ccotel import` + `ccotel report daily --json` on an empty store
  ccotel_repeat_s `ccotel report daily --json` again (what a user re-runs)
  peak_rss_mb     the largest resident set of the ccotel processes

and checks both tools report the same tokens. The last line is the result:
`ccusage_s=<a> ccotel_first_s=<b> ccotel_repeat_s=<c> peak_rss_mb=<m>`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from tests.importer.corpus import NEW_MODEL, PRICED_MODELS, Corpus

ROOT = Path(__file__).resolve().parent.parent


def generate(projects: Path, size_mb: int) -> Corpus:
    """Sessions of ~150 turns with ~3 KB tool results, until the corpus reaches size_mb."""
    c = Corpus(projects, seed=11, content_bytes=3000)
    target = size_mb * 1024 * 1024
    written = 0
    start = datetime(2026, 6, 1, 8, tzinfo=UTC)
    n = 0
    dirs = ("/home/dev/app", "/home/dev/lib", "/srv/tools", "/home/dev/site")
    while written < target:
        project = dirs[n % len(dirs)]
        sid, path, lines = c.session(start + timedelta(hours=5 * n), turns=150, project=project,
                                     models=(*PRICED_MODELS, NEW_MODEL))
        c.write(path, lines)
        written += sum(len(x) + 1 for x in lines)
        if n % 10 == 3:
            side, side_lines = c.sidechain_log(sid, project, replays=10, own=10)
            c.write(side, side_lines)
        if n % 25 == 24:
            _, rpath, rlines = c.resumed_copy(50, start + timedelta(hours=5 * n + 1))
            c.write(rpath, rlines)
        c.written = c.written[-2000:]  # replay sources: recent sessions are enough
        n += 1
        if n % 50 == 0:
            print(f"  generated {written / 1e6:,.0f} MB", file=sys.stderr, flush=True)
    return c


def tool(name: str) -> str:
    local = ROOT / ".tools" / "node_modules" / ".bin" / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: run 'bash scripts/install-test-tools.sh'")
    return found


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, peak resident set (MB, from wait4) and stdout of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t0
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out.decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--workdir", type=Path, help="reuse a generated corpus here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    home = work / "home"
    projects = home / ".claude" / "projects"
    if not projects.exists():
        print(f"generating {args.size_mb} MB of transcripts in {projects}", file=sys.stderr)
        t0 = time.perf_counter()
        generate(projects, args.size_mb)
        print(f"  done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    size = sum(f.stat().st_size for f in projects.rglob("*.jsonl"))
    print(f"corpus: {size / 1e6:,.0f} MB in {sum(1 for _ in projects.rglob('*.jsonl'))} files",
          file=sys.stderr)

    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "TZ": "UTC",
           "NO_COLOR": "1"}
    data = work / "data"
    ccotel = [sys.executable, "-m", "ccotel"]
    env_ccotel = {**env, "CCOTEL_DATA_DIR": str(data)}
    runs: dict[str, list[float]] = {"ccusage": [], "first": [], "repeat": []}
    peak = 0.0
    for _ in range(max(1, args.repeat)):
        ccusage_s, _, ccusage_out = timed([tool("ccusage"), "daily", "--offline", "--json"],
                                          env)
        shutil.rmtree(data, ignore_errors=True)
        import_s, import_rss, _ = timed([*ccotel, "import", str(projects), "--no-progress"],
                                        env_ccotel)
        report_s, report_rss, _ = timed([*ccotel, "report", "daily", "--json", "--tz", "UTC"],
                                        env_ccotel)
        repeat_s, repeat_rss, repeat_out = timed(
            [*ccotel, "report", "daily", "--json", "--tz", "UTC"], env_ccotel)
        runs["ccusage"].append(ccusage_s)
        runs["first"].append(import_s + report_s)
        runs["repeat"].append(repeat_s)
        peak = max(peak, import_rss, report_rss, repeat_rss)
        print(f"run: ccusage {ccusage_s:.2f} s; ccotel import {import_s:.2f} s + report "
              f"{report_s:.2f} s; repeat report {repeat_s:.2f} s", file=sys.stderr)

    theirs, ours = json.loads(ccusage_out)["totals"], json.loads(repeat_out)["totals"]
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
    same = all(theirs[k] == ours[k] for k in keys)
    print(f"tokens equal: {same}  ccusage={[theirs[k] for k in keys]} "
          f"ccotel={[ours[k] for k in keys]}", file=sys.stderr)
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ccusage_s={min(runs['ccusage']):.2f} ccotel_first_s={min(runs['first']):.2f} "
          f"ccotel_repeat_s={min(runs['repeat']):.2f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()

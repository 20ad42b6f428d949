"""`ccotel alerts check FILE`: a summary when valid, line-numbered errors and exit 1 when not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.alerts.test_rules import EXAMPLE


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ccotel", "alerts", "check", str(path)],
                          check=False, capture_output=True, text=True, timeout=60)


def test_check_accepts_the_documented_example(tmp_path: Path) -> None:
    f = tmp_path / "alerts.yaml"
    f.write_text(EXAMPLE)
    done = _check(f)
    assert done.returncode == 0, done.stderr
    assert "daily-budget: spend over $0.01 per day per user (notify team; blocks prompts)" \
        in done.stdout
    assert done.stdout.strip().endswith(f"{f}: 1 rule(s), 1 receiver(s), OK")


def test_check_prints_each_problem_with_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "alerts.yaml"
    f.write_text("rules:\n  - name: x\n    spike: {of: refusals, over: 3}\n"
                 "    notify: [nobody]\n")
    done = _check(f)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{f}:3: spike needs 'window'",
        f"{f}:4: notify: no receiver named 'nobody' (the file defines no receivers)",
    ]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_check_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = _check(tmp_path / "nope.yaml")
    assert done.returncode == 1
    assert done.stderr.strip() == f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"

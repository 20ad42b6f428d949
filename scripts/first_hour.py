"""Regenerate docs/first-hour.md and docs/first-hour.ja.md: a newcomer's first hour, run for
real and captured.

    python scripts/first_hour.py [--out docs]

Starts `ccotel serve` on a fresh data dir, runs the pinned Claude Code CLI three times
(`claude -p`, against the local Anthropic API stub of the end-to-end tests), then the
reports and a few typical mistakes, and writes what the terminal showed into both
documents (the same blocks: only the prose is translated). While that server still holds
the three runs, it photographs its dashboard (English and Japanese) and one run's session
page with scripts/dashboard_screenshot.py's shoot() and Debian's chromium. Needs the pinned
CLIs (scripts/install-test-tools.sh); without chromium or playwright, pass --no-screenshot.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package
sys.path.insert(0, str(Path(__file__).resolve().parent))  # dashboard_screenshot

from tests.e2e.anthropic_stub import AnthropicStub
from tests.e2e.claude_cli import otel_env, run_claude

ROOT = Path(__file__).resolve().parent.parent

RUNS = (("basic", "print hello with bash"), ("bashfail", "run the failing command"),
        ("edit", "write a small file"))
WIDTH = "80"
# The pictures, named as the documents link them; the range fits a few minutes of data.
DASHBOARD, DASHBOARD_JA, SESSION = ("first-hour-dashboard.png", "first-hour-dashboard-ja.png",
                                    "first-hour-session.png")
RANGE = "from=now-15m&to=now"
SHOWN_RUN = "bashfail"  # the session page of the run whose tool call failed


def _ccotel(args: list[str], data: Path, *, columns: str = WIDTH,
            home: Path | None = None) -> tuple[str, int]:
    """Run the real CLI; return what a terminal shows (stdout and stderr) and its code."""
    env = {**os.environ, "COLUMNS": columns, "TZ": "UTC", "NO_COLOR": "1"}
    if home is not None:
        env.update(HOME=str(home), CLAUDE_CONFIG_DIR=str(home / "none"))
    proc = subprocess.run([sys.executable, "-m", "ccotel", *args, "--data-dir", str(data)],
                          check=False, capture_output=True, text=True, env=env, timeout=120)
    return (proc.stdout + proc.stderr).rstrip(), proc.returncode


def _shown(command: str, output: str, data: Path) -> str:
    """The command as a user types it and its output, with the temporary paths named as
    a user would see them."""
    text = f"$ {command}\n{output}".replace(str(data), "~/.local/share/ccotel")
    return re.sub(r"/tmp/ccotel-first-hour-\w+", "~", text)


def _wait(data: Path, requests: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out, code = _ccotel(["report", "summary", "--json", "--since", "now-1h"], data)
        if code == 0 and json.loads(out)["requests"] >= requests:
            return
        time.sleep(0.5)
    raise SystemExit(f"the runs' {requests} requests did not arrive within {timeout}s")


def screenshots(base: str, session_id: str, out: Path) -> None:
    """The dashboard (English and Japanese) and one session's page, from the running server
    that holds the walkthrough's runs: viewport pictures, not full pages."""
    import shutil

    from dashboard_screenshot import ARGS, READY, SESSION_READY, shoot
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        try:
            for name, extra in ((DASHBOARD, ""), (DASHBOARD_JA, "&lang=ja")):
                shoot(browser, f"{base}/?{RANGE}{extra}", 1280, out / name, READY, False)
            shoot(browser, f"{base}/sessions/{session_id}?{RANGE}", 1280, out / SESSION,
                  SESSION_READY, False)
        finally:
            browser.close()


def capture(tmp: Path, shots: Path | None) -> dict[str, str]:
    """Every step's terminal output, by name; with `shots`, the pictures go there."""
    data = tmp / "data"
    steps: dict[str, str] = {}
    serve = subprocess.Popen(
        [sys.executable, "-m", "ccotel", "serve", "--data-dir", str(data), "--grpc-port", "0",
         "--http-port", "0", "--ui-port", "0", "--metrics-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = []
        assert serve.stdout is not None
        for line in serve.stdout:
            banner.append(line.rstrip())
            if line.startswith("export OTEL_EXPORTER_OTLP_ENDPOINT"):
                break
        info = json.loads((data / "server.json").read_text())
        ports = {k: info[k] for k in ("grpc_port", "http_port", "ui_port", "metrics_port")}
        steps["serve"] = _shown("ccotel serve --grpc-port 0 --http-port 0 --ui-port 0 "
                                "--metrics-port 0", "\n".join(banner), data)
        env = otel_env("grpc", ports["grpc_port"])
        requests = 0
        results = []
        sessions: dict[str, str] = {}
        for scenario, prompt in RUNS:
            home, cwd = tmp / f"home-{scenario}", tmp / f"project-{scenario}"
            cwd.mkdir()
            with AnthropicStub(scenario) as stub:
                r = run_claude(prompt, stub_url=stub.url, home=home, cwd=cwd, otel_env=env)
            requests += r["num_turns"]
            sessions[scenario] = r["session_id"]
            results.append(f"$ claude -p {json.dumps(prompt)} --output-format json\n"
                           + json.dumps({k: r[k] for k in ("session_id", "num_turns",
                                                             "total_cost_usd")}
                                        | {"usage": {k: r["usage"][k] for k in (
                                            "input_tokens", "output_tokens",
                                            "cache_read_input_tokens",
                                            "cache_creation_input_tokens")}}))
        steps["claude"] = "\n\n".join(results)
        _wait(data, requests)
        if shots is not None:
            screenshots(f"http://127.0.0.1:{ports['ui_port']}", sessions[SHOWN_RUN], shots)
        for name, args in (("summary", ["report", "summary"]),
                           ("daily", ["report", "daily"]),
                           ("session", ["report", "session"]),
                           ("tools", ["report", "tools"]),
                           ("daily_wide", ["report", "daily", "--wide"])):
            out, _ = _ccotel(args, data, columns="200" if name == "daily_wide" else WIDTH)
            steps[name] = _shown("ccotel " + " ".join(args), out, data)
        # Typical mistakes, as they happen.
        clash = ["serve", "--grpc-port", "0", "--http-port", str(ports["http_port"]),
                 "--ui-port", "0", "--metrics-port", "0"]
        out, _ = _ccotel(clash, data)
        steps["clash"] = _shown(f"ccotel serve --http-port {ports['http_port']}", out, data)
        out, _ = _ccotel(["report", "daily", "--since", "last-week"], data)
        steps["bad_date"] = _shown("ccotel report daily --since last-week", out, data)
        out, _ = _ccotel(["report", "daily", "--since", "now-7d"], data)
        steps["good_date"] = _shown("ccotel report daily --since now-7d", out, data)
        (tmp / "empty-home").mkdir()
        out, code = _ccotel(["import", "--json"], data, home=tmp / "empty-home")
        steps["no_transcripts"] = _shown("ccotel import --json > imported.json; echo $?",
                                         f"{out}\n{code}", data)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
    return steps


EN = """# The first hour with ccotel

What a newcomer sees, step by step: install, `ccotel serve`, three real `claude -p` runs,
the reports, and a few typical mistakes. Every block below is real terminal output,
captured by `python scripts/first_hour.py` (the Claude Code CLI runs against a local stub of
the Anthropic API; the server uses free ports here, 4317/4318/3030/8888 by default).

## 1. Install and start

```bash
python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/ccotel serve
```

`ccotel serve` says where it listens and which lines Claude Code needs:

```text
{serve}
```

## 2. Three Claude Code runs

With those lines exported, each `claude -p` run reports its telemetry to ccotel. Claude
Code's own totals, as it printed them:

```text
{claude}
```

## 3. The dashboard

Open the dashboard address from step 1 and pick the last 15 minutes: the three runs are
there, with their sessions and cost (this picture is taken from the server above, while it
holds them):

{dashboard}

A session's link opens its page: its requests, tool calls and cost. Here, the run whose
command failed:

{session_page}

## 4. The reports

`ccotel report summary` covers the last 24 hours by default and says which range it
covered; its numbers equal the totals Claude Code printed above:

```text
{summary}
```

At 80 columns a report leaves out the columns that do not fit, and says which:

```text
{daily}
```

```text
{session}
```

```text
{tools}
```

`--wide` shows every column with exact numbers:

```text
{daily_wide}
```

## 5. Typical mistakes

A second `ccotel serve` on a port that is taken names what holds it:

```text
{clash}
```

A range that is neither a day nor a time:

```text
{bad_date}
```

Days (`2026-12-01`), RFC 3339 times and `now-7d` all work, under `--since` or `--from`:

```text
{good_date}
```

`ccotel import` with no transcripts to read: with `--json`, nothing goes to stdout (the file
stays empty), the error goes to stderr and the exit status is 2:

```text
{no_transcripts}
```
"""

JA = """# ccotel を使い始めて最初の 1 時間

初めて使う人が目にするものを順に示します。インストール、`ccotel serve`、`claude -p` の実行 3 回、
レポート、よくある間違いです。以下のブロックはすべて実際のターミナル出力で、
`python scripts/first_hour.py` が取得しています(Claude Code CLI は Anthropic API のローカル
スタブに対して動かしています。ここではサーバーに空きポートを使っていますが、デフォルトは
4317/4318/3030/8888 です)。

## 1. インストールと起動

```bash
python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/ccotel serve
```

`ccotel serve` は待ち受けているアドレスと、Claude Code に設定する行を表示します:

```text
{serve}
```

## 2. Claude Code を 3 回実行する

表示された行を export してから `claude -p` を実行すると、テレメトリが ccotel に送られます。
Claude Code 自身が表示した合計は次のとおりです:

```text
{claude}
```

## 3. ダッシュボード

手順 1 で表示されたダッシュボードのアドレスを開き、期間に直近 15 分を選びます。3 回の実行が
セッションとコストとともに表示されます(上のサーバーに 3 回の実行が入った状態で撮影しました):

{dashboard}

セッションのリンクを開くと、そのセッションのページに、リクエスト、ツール呼び出し、コストが
表示されます。ここではコマンドが失敗した実行のページです:

{session_page}

## 4. レポート

`ccotel report summary` はデフォルトで直近 24 時間を対象にし、対象にした期間を表示します。
数値は上で Claude Code が表示した合計と一致します:

```text
{summary}
```

80 桁のターミナルでは、収まらない列を省き、省いた列の名前を表示します:

```text
{daily}
```

```text
{session}
```

```text
{tools}
```

`--wide` を付けると、すべての列を正確な数値で表示します:

```text
{daily_wide}
```

## 5. よくある間違い

使用中のポートで 2 つ目の `ccotel serve` を起動すると、ポートを使っているものを表示します:

```text
{clash}
```

日付でも時刻でもない期間を指定した場合:

```text
{bad_date}
```

日付(`2026-12-01`)、RFC 3339 の時刻、`now-7d` はどれも `--since` でも `--from` でも使えます:

```text
{good_date}
```

読み込むトランスクリプトがないときの `ccotel import`。`--json` 付きでは標準出力に何も出さず
(ファイルは空のまま)、エラーを標準エラー出力に出し、終了ステータスは 2 です:

```text
{no_transcripts}
```
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--no-screenshot", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ccotel-first-hour-") as tmp:
        steps = capture(Path(tmp), None if args.no_screenshot else args.out)
    have = all((args.out / n).exists() for n in (DASHBOARD, DASHBOARD_JA, SESSION))
    missing = "(screenshot: `python scripts/first_hour.py`)"
    en = {"dashboard": f"![The dashboard, last 15 minutes]({DASHBOARD})",
          "session_page": f"![The failed run's session page]({SESSION})"}
    # The Japanese page is shown in Japanese; the English picture stays linked.
    ja = {"dashboard": f"![ダッシュボード(直近 15 分)]({DASHBOARD_JA})\n\n"
                       f"英語表示: [{DASHBOARD}]({DASHBOARD})",
          "session_page": f"![失敗した実行のセッションページ]({SESSION})"}
    for template, name, pictures in ((EN, "first-hour.md", en), (JA, "first-hour.ja.md", ja)):
        shown = pictures if have else dict.fromkeys(pictures, missing)
        (args.out / name).write_text(template.format(**shown, **steps))
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`ccotel statusline`: the line Claude Code shows under its prompt.

Claude Code runs the `statusLine` command after each update with a JSON object on stdin
(model, session cost, context window, workspace and, for Pro/Max logins, `rate_limits`)
and shows what it prints. This module reads that object, prints one line at once, and
sends the same facts to the running ccotel server as a snapshot (`POST
/api/v1/limits/snapshot`) from a detached child, so Claude Code never waits on the
network. The server's answer (today's cost for this user on every machine, the account's
limits) is cached and shown by the next run.

It must never fail or delay Claude Code: bad stdin, no server or a dead one still give a
line and exit status 0. It imports only the standard library (no click, DuckDB, gRPC or
Rich) so that it starts in tens of milliseconds; the server imports it to read the same
input (`snapshot_fields`), so the meaning of Claude Code's object lives here only.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from ccotel.claude import gitinfo

SEGMENTS = ("model", "session", "today", "five_hour", "seven_day", "block", "context",
            "repo")
DEFAULT_FORMAT = ",".join(SEGMENTS)
FIVE_HOURS = 5 * 3600
SEVEN_DAYS = 7 * 24 * 3600
WINDOWS = {"five_hour": FIVE_HOURS, "seven_day": SEVEN_DAYS}
POST_TIMEOUT_S = 1.0   # the detached child's budget; Claude Code does not wait for it
RESEND_S = 2.0         # an unchanged snapshot is sent at most this often per session
MAX_INPUT = 1 << 20    # Claude Code's object is a few KB

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "dim": "2", "cyan": "36",
            "magenta": "35"}


# -- the input ---------------------------------------------------------------------------

def parse_input(text: str) -> dict[str, Any]:
    """Claude Code's object, or {} when stdin is empty or not a JSON object."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


_CONTROL = dict.fromkeys([*range(32), 127])  # newlines and ESC would break the line


def clip(v: Any, limit: int = 512) -> str | None:
    """`v` when it is a non-empty string, without control characters (no new line, no
    escape sequence from a repo or model name), cut to `limit` characters; else None."""
    if not isinstance(v, str):
        return None
    return v.translate(_CONTROL)[:limit] or None


def rate_limits(data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The official windows present in the input: {"five_hour": {"used_percentage",
    "resets_at"}, ...}. Absent for API-key users and before the first response."""
    out: dict[str, dict[str, float]] = {}
    for name in WINDOWS:
        w = _get(data, "rate_limits", name)
        used, resets = _num(_get(w, "used_percentage")), _num(_get(w, "resets_at"))
        if used is not None and resets is not None and 0 <= used <= 1000 and resets > 0:
            out[name] = {"used_percentage": used, "resets_at": resets}
    return out


def repo_name(data: dict[str, Any]) -> str | None:
    repo = _get(data, "workspace", "repo")
    owner, name = clip(_get(repo, "owner")), clip(_get(repo, "name"))
    if owner and name:
        return f"{owner}/{name}"
    cwd = clip(_get(data, "workspace", "current_dir")) or clip(data.get("cwd"))
    return os.path.basename(cwd.rstrip("/")) or None if cwd else None


def git_branch(cwd: str | None) -> str | None:
    """The checked-out branch of the repository holding `cwd` (a detached HEAD: its short
    commit), from `claude/gitinfo.py`, which reads `.git` without a git process: this runs
    on every update."""
    info = gitinfo.find(cwd) if cwd else None
    if info is None:
        return None
    return info.branch or (info.head[:7] if info.head else None)


def snapshot_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What the server stores from one input (see limit_snapshots in schema.sql)."""
    limits = rate_limits(data)
    ctx = data.get("context_window")
    usage = _get(ctx, "current_usage")
    tokens = None
    if isinstance(usage, dict):
        tokens = sum(int(v) for k, v in usage.items()
                     if k != "output_tokens" and _num(v) is not None and 0 <= v < 1e12)
    size = _num(_get(ctx, "context_window_size"))
    return {
        "session_id": clip(data.get("session_id"), 128),
        "model": clip(_get(data, "model", "id"), 200),
        "app_version": clip(data.get("version"), 64),
        "cost_usd": _num(_get(data, "cost", "total_cost_usd")),
        "five_hour_pct": _get(limits, "five_hour", "used_percentage"),
        "five_hour_resets_at": _get(limits, "five_hour", "resets_at"),
        "seven_day_pct": _get(limits, "seven_day", "used_percentage"),
        "seven_day_resets_at": _get(limits, "seven_day", "resets_at"),
        "context_used_pct": _num(_get(ctx, "used_percentage")),
        "context_window_size": int(size) if size is not None and 0 <= size < 1e12 else None,
        "context_tokens": tokens,
        "cwd": clip(_get(data, "workspace", "current_dir")) or clip(data.get("cwd")),
        "repo": repo_name(data),
    }


# -- the line ----------------------------------------------------------------------------

def _paint(text: str, colour: str | None, colour_on: bool) -> str:
    if not colour_on or colour is None:
        return text
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


def level(pct: float) -> str:
    """Colour of a used percentage: green below 50, yellow below 80, red from 80."""
    return "green" if pct < 50 else "yellow" if pct < 80 else "red"


def duration(seconds: float) -> str:
    """2d3h, 4h05m, 12m: the time to a reset, short."""
    s = max(int(seconds), 0)
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if d:
        return f"{d}d{h}h"
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m"


def pace(used: float, resets_at: float, window: float, now: float) -> float | None:
    """Used share against elapsed share of the window: 1.0 is on pace to use exactly all
    of it by the reset, 2.0 runs out halfway."""
    elapsed = (now - (resets_at - window)) / window
    if elapsed <= 0.01 or elapsed > 1:
        return None
    return used / 100 / elapsed


def _money(v: float | None) -> str:
    return "$?" if v is None else f"${v:,.2f}"


def _window(name: str, w: dict[str, float], now: float, colour_on: bool) -> str:
    label = "5h" if name == "five_hour" else "7d"
    used = w["used_percentage"]
    text = _paint(f"{label} {used:.0f}%", level(used), colour_on)
    p = pace(used, w["resets_at"], WINDOWS[name], now)
    if p is not None:
        mark = "green" if p <= 1 else "yellow" if p <= 1.2 else "red"
        text += " " + _paint(f"pace {p:.1f}x", mark, colour_on)
    return text + _paint(f" ↻{duration(w['resets_at'] - now)}", "dim", colour_on)


def _since_answer(data: dict[str, Any], server: dict[str, Any]) -> float:
    """What this session spent since the snapshot the server's answer counted (the answer
    is one update old): added to today's total so it never lags the session's cost."""
    if server.get("session_id") != data.get("session_id"):
        return 0.0
    now, then = _num(_get(data, "cost", "total_cost_usd")), _num(server.get("sent_cost_usd"))
    return max(now - then, 0.0) if now is not None and then is not None else 0.0


def render(data: dict[str, Any], server: dict[str, Any] | None, *, fmt: str = DEFAULT_FORMAT,
           colour_on: bool = True, now: float | None = None,
           branch: str | None = None) -> str:
    """One line from Claude Code's input and the server's last answer (may be None)."""
    now = time.time() if now is None else now
    server = server or {}
    limits = rate_limits(data)
    if not limits:  # this input has none (yet): the account's latest from the server
        for name in WINDOWS:
            w = _get(server, "limits", name)
            if _get(w, "source") == "official" and _num(_get(w, "used_percentage")) is not None \
                    and _num(_get(w, "resets_at_epoch")) is not None:
                limits[name] = {"used_percentage": w["used_percentage"],
                                "resets_at": w["resets_at_epoch"]}
    parts: list[str] = []
    for seg in (s.strip() for s in fmt.split(",")):
        if seg == "model":
            model = clip(_get(data, "model", "display_name"), 80) or clip(
                _get(data, "model", "id"), 80)
            parts.append(_paint(model or "Claude", "cyan", colour_on))
        elif seg == "session":
            cost = _num(_get(data, "cost", "total_cost_usd"))
            if cost is not None:
                parts.append(f"{_money(cost)} session")
        elif seg == "today":
            today = _num(server.get("today_cost_usd"))
            if today is not None:
                parts.append(f"{_money(today + _since_answer(data, server))} today")
        elif seg in WINDOWS:
            if seg in limits:
                parts.append(_window(seg, limits[seg], now, colour_on))
        elif seg == "block":
            block = _get(server, "limits", "block")
            if not limits and isinstance(block, dict) and block.get("isActive"):
                rate = _num(_get(block, "burnRate", "costPerHour"))
                end = _num(block.get("end_epoch"))
                text = f"block {_money(_num(block.get('costUSD')))}"
                if rate is not None:
                    text += f" {_money(rate)}/h"
                if end is not None:
                    text += _paint(f" ↻{duration(end - now)}", "dim", colour_on)
                parts.append(text)
        elif seg == "context":
            used = _num(_get(data, "context_window", "used_percentage"))
            if used is not None:
                parts.append(_paint(f"ctx {used:.0f}%", level(used), colour_on))
        elif seg == "repo":
            repo = repo_name(data)
            if repo:
                parts.append(_paint(repo + (f" ⎇ {branch}" if branch else ""), "magenta",
                                    colour_on))
        elif seg:
            parts.append(f"(unknown segment {seg[:20]!r}: use {DEFAULT_FORMAT})")
    return _paint(" │ ", "dim", colour_on).join(parts) or "Claude"


# -- the server --------------------------------------------------------------------------

def cache_path() -> Path:
    """Where the server's last answer is kept: `$XDG_CACHE_HOME/ccotel/statusline.json`
    (platformdirs would say the same on Linux but costs more to import than this whole
    command takes to run)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ccotel" / "statusline.json"


def read_cache(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def server_url(data_dir: str | None) -> tuple[str, str | None] | None:
    """(base URL, CA file) of the server on this machine, from its server.json."""
    from ccotel.running import find_running

    if data_dir is None:
        from ccotel.settings import default_data_dir

        data_dir = str(default_data_dir())
    info = find_running(Path(data_dir))
    if info is None:
        return None
    host = info.get("host", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    host = f"[{host}]" if ":" in host else host
    scheme = info.get("scheme", "http")
    ca = info.get("tls_cert") if scheme == "https" else None
    return f"{scheme}://{host}:{info['ui_port']}", ca


def post_json(url: str, body: dict[str, Any] | None, *, token: str | None = None,
              ca_file: str | None = None, timeout: float = POST_TIMEOUT_S) -> Any:
    """POST `body` (GET when None) to a ccotel server and return its JSON answer. The one
    HTTP call of the statusline and the hooks (http.client: httpx would cost more to import
    than the call takes)."""
    import http.client
    import ssl
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn: http.client.HTTPConnection
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=ca_file)
        conn = http.client.HTTPSConnection(u.hostname or "", u.port, timeout=timeout,
                                           context=ctx)
    else:
        conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    target = (u.path or "/") + (f"?{u.query}" if u.query else "")
    try:
        if body is None:
            conn.request("GET", target, headers=headers)
        else:
            conn.request("POST", target, json.dumps(body), headers)
        resp = conn.getresponse()
        payload = resp.read(1 << 20)
        if resp.status != 200:
            raise OSError(f"HTTP {resp.status}")
        return json.loads(payload)
    finally:
        conn.close()


def _local_day_start(now: float) -> float:
    t = time.localtime(now)
    return now - (t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec)


def send_snapshot(data: dict[str, Any], branch: str | None, *, url: str | None,
                  data_dir: str | None, user: str | None, cache: Path) -> None:
    """Post the snapshot and cache the answer. Runs in the detached child: any failure
    just leaves the previous cache in place."""
    try:
        ca = None
        if url is None:
            found = server_url(data_dir)
            if found is None:
                cache.unlink(missing_ok=True)  # no server now: show no stale numbers
                return
            url, ca = found
        import socket

        body = {"input": data, "host": socket.gethostname(), "branch": branch,
                "user": user, "day_start": _local_day_start(time.time())}
        send_git(data, url, ca)
        answer = post_json(url.rstrip("/") + "/api/v1/limits/snapshot", body,
                           token=os.environ.get("CCOTEL_TOKEN"), ca_file=ca)
        if isinstance(answer, dict):
            # The answer names the account (an email) and its costs: the user's alone.
            cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            sent = _num(_get(data, "cost", "total_cost_usd"))
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({**answer, "sent_cost_usd": sent, "sent_limits": rate_limits(data),
                           "cached_at": time.time()}, f)
            os.replace(tmp, cache)
    except Exception:  # the statusline never fails
        pass


def _in_background(fn: Any, *args: Any, **kwargs: Any) -> None:
    """Run `fn` in a detached child that holds none of Claude Code's pipes, so Claude
    Code reads our line and moves on without waiting for it."""
    if not hasattr(os, "fork"):
        fn(*args, **kwargs)
        return
    sys.stdout.flush()
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        return
    try:  # the child: its own session, no inherited stdin/stdout/stderr
        os.setsid()
        if os.fork():  # a grandchild, so no zombie is left to Claude Code
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        fn(*args, **kwargs)
    finally:
        os._exit(0)


def _just_sent(data: dict[str, Any], cached: dict[str, Any] | None) -> bool:
    """Claude Code may run the statusline several times a second: a snapshot of the same
    session with the same cost and limits answered less than `RESEND_S` ago is not sent
    again (no process storm, no duplicate rows)."""
    if not cached or cached.get("session_id") != data.get("session_id"):
        return False
    age = time.time() - (_num(cached.get("cached_at")) or 0)
    return (0 <= age < RESEND_S and cached.get("sent_cost_usd") == _num(
        _get(data, "cost", "total_cost_usd")) and cached.get("sent_limits") == rate_limits(data))


def send_git(data: dict[str, Any], url: str, ca: str | None) -> None:
    """Record the session's repo, branch, worktree and HEAD (`POST
    /api/v1/sessions/{id}/git`): reports attribute its costs by them, and the newest record
    wins, so a branch changed mid-session is followed. Nothing to send outside git."""
    from urllib.parse import quote

    cwd = clip(_get(data, "workspace", "current_dir")) or clip(data.get("cwd"))
    info = gitinfo.find(cwd) if cwd else None
    session = clip(data.get("session_id"), 128)
    if info is None or not session:
        return
    with contextlib.suppress(Exception):  # a hook must never fail Claude Code
        post_json(f"{url.rstrip('/')}/api/v1/sessions/{quote(session, safe='')}/git",
                  info.facts(), token=os.environ.get("CCOTEL_TOKEN"), ca_file=ca)


def run(stdin_text: str, *, fmt: str = DEFAULT_FORMAT, colour_on: bool = True,
        url: str | None = None, data_dir: str | None = None, user: str | None = None,
        send: bool = True) -> str:
    """The whole command: the line to print; the snapshot goes out in the background."""
    data = parse_input(stdin_text)
    cache = cache_path()
    cached = read_cache(cache)
    cwd = clip(_get(data, "workspace", "current_dir")) or clip(data.get("cwd"))
    branch = git_branch(cwd)
    line = render(data, cached, fmt=fmt, colour_on=colour_on, branch=branch)
    if send and data.get("session_id") and not _just_sent(data, cached):
        sys.stdout.write(line + "\n")
        _in_background(send_snapshot, data, branch, url=url, data_dir=data_dir, user=user,
                       cache=cache)
        return ""
    return line


def hook(*, url: str | None, data_dir: str | None, user: str | None) -> int:
    """`ccotel hook`: Claude Code's hooks. `UserPromptSubmit`: warn about or stop a prompt
    over a budget (`prompt_hook`). Any other event (SessionStart, ...): send the session's
    machine, folder, repo and branch as a snapshot in the background, print nothing (a
    SessionStart hook's output would reach the model). Never fails Claude Code: exit 0, or
    2 only when a `block: true` budget stops the prompt."""
    try:
        data = parse_input(sys.stdin.read(MAX_INPUT) if not sys.stdin.isatty() else "")
        if data.get("hook_event_name") == "UserPromptSubmit":
            return prompt_hook(data, url=url, data_dir=data_dir,
                               user=user or os.environ.get("CCOTEL_USER"))
        if data.get("session_id"):
            cwd = clip(_get(data, "workspace", "current_dir")) or clip(data.get("cwd"))
            _in_background(send_snapshot, data, git_branch(cwd), url=url,
                           data_dir=data_dir, user=user or os.environ.get("CCOTEL_USER"),
                           cache=cache_path())
    except Exception:  # a hook must never fail Claude Code
        pass
    return 0


PROMPT_TIMEOUT_S = 2.0  # a prompt waits for this hook: no longer than this
MAX_CLAUDE_JSON = 16 << 20  # ~/.claude.json grows with project history; past this, skip it


def claude_user_id() -> str | None:
    """The `userID` in Claude Code's `.claude.json` (in `CLAUDE_CONFIG_DIR`, else the home
    folder): the `user.id` its telemetry carries. None when unreadable."""
    base = os.environ.get("CLAUDE_CONFIG_DIR")
    path = Path(base) / ".claude.json" if base else Path.home() / ".claude.json"
    try:
        if path.stat().st_size > MAX_CLAUDE_JSON:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError):
        return None
    return clip(data.get("userID")) if isinstance(data, dict) else None


def prompt_hook(data: dict[str, Any], *, url: str | None, data_dir: str | None,
                user: str | None) -> int:
    """`UserPromptSubmit`: ask the server which budget alerts fire for this session's user.
    Warnings go to stdout (Claude Code adds them to the session; exit 0); a rule marked
    `block: true` stops the prompt: its reason and how to lift it on stderr, exit 2. No
    server, a slow one or any failure: nothing printed, exit 0 (the prompt goes on)."""
    from urllib.parse import urlencode

    session = clip(data.get("session_id"))
    if not session:
        return 0
    where = (url.rstrip("/"), None) if url else server_url(data_dir)
    if where is None:
        return 0
    def ask(query: dict[str, str]) -> Any:
        return post_json(f"{where[0]}/api/v1/alerts/prompt?{urlencode(query)}", None,
                         token=os.environ.get("CCOTEL_TOKEN"), ca_file=where[1],
                         timeout=PROMPT_TIMEOUT_S)
    answer = ask({"session": session, **({"user": user} if user else {})})
    if isinstance(answer, dict) and answer.get("user") is None and not user:
        # A new session's first prompt comes before its telemetry: the server cannot
        # name its user yet, but Claude Code's own file holds the id it will send.
        user = claude_user_id()
        answer = ask({"user": user}) if user else answer
    if not isinstance(answer, dict):
        return 0
    def lines(items: Any) -> list[str]:
        return [f"ccotel: {clip(i.get('message'), 300)} (to lift: {clip(i.get('lift'), 300)})"
                for i in items or [] if isinstance(i, dict)]
    blocks, warns = lines(answer.get("block")), lines(answer.get("warn"))
    if blocks:
        sys.stderr.write("\n".join(["Stopped by a ccotel budget:", *blocks]) + "\n")
        return 2
    if warns:
        sys.stdout.write("\n".join(["ccotel budget warning:", *warns]) + "\n")
    return 0


def statusline(*, fmt: str, url: str | None, data_dir: str | None, user: str | None,
               no_color: bool, no_send: bool) -> int:
    try:
        text = sys.stdin.read(MAX_INPUT) if not sys.stdin.isatty() else ""
    except (OSError, ValueError, UnicodeDecodeError):
        text = ""
    colour_on = not no_color and "NO_COLOR" not in os.environ
    try:
        line = run(text, fmt=fmt, colour_on=colour_on, url=url, data_dir=data_dir,
                   user=user or os.environ.get("CCOTEL_USER"), send=not no_send)
    except Exception:  # never fail Claude Code: a plain line instead
        line = "Claude"
    if line:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return 0

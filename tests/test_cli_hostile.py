"""Every option of every command, fed invalid values: one line on stderr, no traceback, exit
status 2 (usage) for a value its type refuses, else another documented code (errors.py).

The cases are generated from click's command tree: a new option is covered by its type,
and an option whose type no case knows fails `test_every_option_has_invalid_values`.
The examples from the hardening list run as real `ccotel serve` subprocesses too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ccotel import errors
from ccotel.cli import main
from ccotel.settings import (
    DEBUG_SETTINGS,
    SETTINGS,
    ConfigFile,
    DataDir,
    Duration,
    MemorySize,
    PemFile,
    Redact,
    Token,
)

HUGE = "1" + "0" * 30


def commands(group: click.Group = main, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def invalid_values(p: click.Parameter, tmp: Path) -> list[str] | None:
    """Values the parameter's type must refuse (exit 2); None for free text."""
    t = p.type
    a_file = tmp / "a-file"
    a_file.write_text("not a directory, not PEM\n")
    if isinstance(t, click.IntRange):
        lo, hi = t.min, t.max
        return ["abc", "", "1.5", HUGE, "-" + HUGE,
                *([str(lo - 1)] if lo is not None else []),
                *([str(hi + 1)] if hi is not None else [])]
    if isinstance(t, click.types.IntParamType):
        return ["abc", "", "1.5"]
    if isinstance(t, click.FloatRange):
        return ["abc", "", *([str(t.min - 1)] if t.min is not None else []),
                *([str(t.max + 1)] if t.max is not None else [])]
    if isinstance(t, click.types.FloatParamType):
        return ["abc", ""]
    if isinstance(t, click.types.BoolParamType):  # a flag, set from its variable
        return ["maybe", "2"]
    if isinstance(t, click.Choice):
        return ["nope", ""]
    if isinstance(t, Duration):
        return ["30days", "", "-1d", "0s", "99999999999d", "1e9d"]
    if isinstance(t, MemorySize):
        return ["lots", "", "-1MB", "64"]
    if isinstance(t, Token):
        return ["", "has space", "x" * 5000, "caf\u00e9"]
    if isinstance(t, Redact):
        return ["passwords", "prompts,nope"]
    if isinstance(t, DataDir):
        return [str(a_file), "", *(["/proc/nope/deeper"] if t.create else [])]
    if isinstance(t, ConfigFile):  # a_file is not TOML
        return [*([str(tmp / "missing.toml")] if t.must_exist else []), str(tmp), str(a_file),
                ""]
    if isinstance(t, PemFile):
        return [str(tmp / "missing.pem"), str(tmp), str(a_file), ""]
    if isinstance(t, click.Path):
        bad = [str(tmp / "missing")] if t.exists else []
        if not t.file_okay:
            bad.append(str(a_file))
        if not t.dir_okay:
            bad.append(str(tmp))
        return bad or None
    named = {"address": ["nope", "", "-1", "999.0.0.1"],
             "image": ["", "a b", "grafana\n  privileged: true", "-rm", "x" * 300],
             "lines": ["nope", "", "-1", HUGE]}
    if t.name in named:
        return named[t.name]
    if isinstance(t, click.types.StringParamType):
        return None
    raise AssertionError(f"no invalid values known for {p.name} ({t!r}): add them here")


FREE_TEXT = ["", "-1", "x" * 10_000, "\u202e\u0000?", "now-99999999999y"]


def base_args(path: tuple[str, ...], tmp: Path) -> list[str]:
    """Valid arguments that keep each command away from the user's files and the network:
    a valid run ends quickly (no store yet, no stack, no transcripts)."""
    data = ["--data-dir", str(tmp / "data")]
    if path == ("serve",):
        return ["--grpc-port", "0", "--http-port", "0", "--ui-port", "0",
                "--metrics-port", "0", *data]
    if path[0] == "report" or path == ("import",):
        return data
    if path == ("live",):
        return ["--once", *data]
    if path == ("demo",):
        return ["--users", "1", "--days", "1", *data]
    if path == ("stack", "init"):
        return [str(tmp / "stack"), "--dry-run"]
    if path == ("stack", "logs"):
        return [str(tmp / "no-stack"), "--no-follow"]
    if path[0] == "stack":
        return [str(tmp / "no-stack")]
    return []


def cases(tmp: Path) -> Iterator[tuple[tuple[str, ...], click.Parameter, str, bool]]:
    for path, cmd in commands():
        for p in cmd.params:
            if getattr(p, "is_flag", False) or p.name in ("help", "version"):
                continue
            bad = invalid_values(p, tmp)
            for value in bad if bad is not None else FREE_TEXT:
                yield path, p, value, bad is not None


class _Stuck(BaseException):
    """Raised by the alarm when a command that should have refused its input runs on."""


def invoke(args: list[str], env: dict[str, str] | None = None) -> Any:
    def alarm(*_: Any) -> None:
        raise _Stuck(args)

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        return CliRunner().invoke(main, args, env=env)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check_one_line(result: Any, what: str, *, usage: bool) -> None:
    assert "Traceback" not in result.output, f"{what}: {result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{what}: {result.exception!r}")
    allowed = {errors.EXIT_USAGE} if usage else {errors.EXIT_OK, errors.EXIT_FAILED,
                                                   errors.EXIT_USAGE}
    assert result.exit_code in allowed, f"{what}: exit {result.exit_code}: {result.output}"
    if result.exit_code != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), f"{what}: {result.stderr}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No command under test can reach the user's data, transcripts or stack."""
    for var in ("CLAUDE_CONFIG_DIR", "CCOTEL_TOKEN", "CCOTEL_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_every_option_of_every_command_refuses_invalid_values(home: Path) -> None:
    seen = 0
    for path, p, value, typed in cases(home):
        if isinstance(p, click.Argument):
            args = [*(base_args(path, home) if path[0] != "stack" else []), value]
            if path == ("stack", "logs"):
                args = [*base_args(path, home), value]
        else:
            args = [*base_args(path, home), p.opts[0], value]
        result = invoke([*path, *args])
        what = f"ccotel {' '.join(path)} {p.name}={value[:40]!r}"
        check_one_line(result, what, usage=typed)
        if typed and isinstance(p, click.Option):
            assert p.opts[0] in result.stderr, f"{what}: {result.stderr}"
        seen += 1
    assert seen > 150  # every command's every option, several values each


@pytest.mark.parametrize("setting", [*SETTINGS, *DEBUG_SETTINGS], ids=lambda s: s.name)
def test_a_bad_environment_variable_is_named(setting: Any, home: Path) -> None:
    """A value from CCOTEL_* is reported under the variable's name, not the option's."""
    option = next(p for p in main.commands["serve"].params if p.name == setting.attr)
    bad = invalid_values(option, home)
    if not bad:
        pytest.skip(f"--{setting.name} takes any text or is a flag")
    value = next(v for v in bad if v)  # an empty variable counts as unset
    base = base_args(("serve",), home)
    if f"--{setting.name}" in base:  # the command line would win over the variable
        i = base.index(f"--{setting.name}")
        del base[i:i + 2]
    result = invoke(["serve", *base], env={setting.env: value})
    check_one_line(result, setting.env, usage=True)
    assert setting.env in result.stderr and f"--{setting.name}" not in result.stderr


def test_every_option_has_invalid_values(home: Path) -> None:
    """The generator knows every parameter type in the tree (it raises otherwise)."""
    for _path, cmd in commands():
        for p in cmd.params:
            if not getattr(p, "is_flag", False) and p.name not in ("help", "version"):
                invalid_values(p, home)


def test_an_unexpected_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                                     home: Path) -> None:
    import ccotel.report.cli as report_cli

    def boom(*_: Any, **__: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(report_cli, "fetch", boom)
    monkeypatch.delenv("CCOTEL_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["report", "daily", "--data-dir", str(home)])
    assert result.exit_code == errors.EXIT_INTERNAL
    assert len(result.stderr.strip().splitlines()) == 1
    assert "internal error (KeyError" in result.stderr and "CCOTEL_DEBUG=1" in result.stderr
    assert "Traceback" not in result.output


# -- the examples, as real processes -----------------------------------------------------

@pytest.mark.parametrize(("args", "env", "names"), [
    (["--data-dir", "/proc/nope"], {}, "'--data-dir'"),
    (["--data-dir", "{file}"], {}, "'--data-dir'"),
    (["--ui-port", "99999"], {}, "'--ui-port'"),
    (["--ui-port", "-1"], {}, "'--ui-port'"),
    (["--memory-limit", "lots"], {}, "'--memory-limit'"),
    (["--retention", "30days"], {}, "'--retention'"),
    ([], {"CCOTEL_UI_PORT": "abc"}, "CCOTEL_UI_PORT"),
], ids=["proc", "file", "port-huge", "port-negative", "memory", "retention", "env"])
def test_serve_refuses_bad_settings_in_one_line(args: list[str], env: dict[str, str],
                                                names: str, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    args = [a.replace("{file}", str(a_file)) for a in args]
    if "--data-dir" not in args:
        args += ["--data-dir", str(tmp_path / "data")]
    proc = subprocess.run([sys.executable, "-m", "ccotel", "serve", *args],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **env})
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and names in lines[0], lines
    if names == "CCOTEL_UI_PORT":
        assert "--ui-port" not in lines[0]
    if names == "'--retention'":  # not the hidden option --help does not show
        assert "--retention-interval" not in lines[0]

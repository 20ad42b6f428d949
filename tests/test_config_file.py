"""The config file (`config.toml`, `--config`, `CCOTEL_CONFIG`): below the command line and
the environment, above the defaults; every value checked by the option's own type, every
mistake one line naming the file and key."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import click
import pytest

from ccotel.cli import main
from ccotel.settings import SETTINGS, ConfigError, read_config, write_config_key
from tests.test_cli_hostile import base_args, check_one_line, invalid_values, invoke


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user whose config dir is under tmp_path and who sets no CCOTEL_* variable."""
    for var in [*os.environ]:
        if var.startswith("CCOTEL_") or var == "CLAUDE_CONFIG_DIR":
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def _config(home: Path, text: str) -> Path:
    path = home / "xdg" / "ccotel" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _endpoint(args: list[str], env: dict[str, str] | None = None) -> str:
    result = invoke(["env", *args], env=env)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "OTEL_EXPORTER_OTLP_ENDPOINT" in x)
    return line.rsplit(":", 1)[1].strip("'\"")


def test_option_beats_env_beats_config_beats_default(home: Path) -> None:
    assert _endpoint([]) == "4317"  # the default
    _config(home, "# the team's ports\ngrpc-port = 5317\n")
    assert _endpoint([]) == "5317"
    assert _endpoint([], {"CCOTEL_GRPC_PORT": "6317"}) == "6317"
    assert _endpoint(["--grpc-port", "7317"], {"CCOTEL_GRPC_PORT": "6317"}) == "7317"
    other = home / "other.toml"
    other.write_text("grpc-port = 8317\n")
    assert _endpoint(["--config", str(other)]) == "8317"
    assert _endpoint([], {"CCOTEL_CONFIG": str(other)}) == "8317"


def test_every_command_with_the_setting_reads_it(home: Path) -> None:
    """A data dir in the config file is every command's: a report looks there, and a key
    of `serve` that a report does not take is no error for it."""
    _config(home, f'data-dir = "{home / "team-store"}"\nwatch-transcripts = true\n')
    result = invoke(["report", "summary"])
    check_one_line(result, "report", usage=False)
    assert result.exit_code != 0 and str(home / "team-store") in result.stderr


def test_relative_paths_in_the_file_are_relative_to_the_file(home: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`data-dir = "store"` means the folder beside the config file, wherever the command
    is started from; absolute and `~` paths are kept as written."""
    path = _config(home, 'data-dir = "store"\nalerts = "rules/alerts.yaml"\n')
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert read_config(path) == {"data_dir": str(path.parent / "store"),
                                 "alerts": str(path.parent / "rules" / "alerts.yaml")}
    result = invoke(["report", "summary"])
    assert result.exit_code != 0 and str(path.parent / "store") in result.stderr
    _config(home, f'data-dir = "{home / "abs"}"\ntls-cert = "~/cert.pem"\n')
    assert read_config(path) == {"data_dir": str(home / "abs"), "tls_cert": "~/cert.pem"}


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\u0000") \
        .replace("\n", "\\n") + '"'


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_a_bad_value_in_the_file_is_one_line_naming_file_and_key(setting: Any,
                                                                  home: Path) -> None:
    option = next(p for p in main.commands["serve"].params if p.name == setting.attr)
    bad = invalid_values(option, home) if not setting.multiple else None
    if setting.type is bool:
        bad = ["yes"]  # TOML text where a flag needs true or false
    if not bad:
        bad = [7] if setting.multiple else None  # a number where a list of URLs goes
    if not bad:
        pytest.skip(f"{setting.name} takes any text")
    base = base_args(("serve",), home)
    if f"--{setting.name}" in base:  # the command line would win over the file
        i = base.index(f"--{setting.name}")
        del base[i:i + 2]
    for value in bad:
        path = _config(home, f"{setting.name} = "
                             f"{_toml(value) if isinstance(value, str) else value}\n")
        result = invoke(["serve", *base])
        what = f"{setting.name} = {value!r}"
        check_one_line(result, what, usage=True)
        assert f"'{setting.name}' in {path}" in result.stderr, f"{what}: {result.stderr}"


@pytest.mark.parametrize(("text", "says"), [
    ("no-such-option = 1\n", "unknown key 'no-such-option'"),
    ("retention-interval = '1s'\n", "unknown key 'retention-interval'"),  # hidden: tests only
    ("[serve]\nui-port = 1\n", "unknown key 'serve'"),
    ("ui-port = [1, 2]\n", "must be a string or a number"),
    ("ui-port = 1979-05-27\n", "must be a string or a number"),
    ("insecure = 1\n", "must be true or false"),
    ("forward = [1]\n", "a list of strings"),
    ("ui-port = \n", "not valid TOML"),
    ("ui-port = 1\nui-port = 2\n", "not valid TOML"),
    ("\xff\xfe = 1\n", "not valid TOML"),
], ids=["unknown", "hidden", "table", "list", "date", "flag", "forward", "toml", "twice", "bytes"])
def test_a_file_of_the_wrong_shape_is_one_line(text: str, says: str, home: Path) -> None:
    path = _config(home, text)
    result = invoke(["serve", *base_args(("serve",), home)])
    check_one_line(result, text, usage=True)
    assert says in result.stderr and str(path) in result.stderr, result.stderr


def test_unreadable_files_are_one_line(home: Path) -> None:
    path = _config(home, "")
    path.write_bytes(b"\x80\x81 = 1\n")
    check_one_line(invoke(["serve", *base_args(("serve",), home)]), "binary", usage=True)
    path.write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    result = invoke(["serve", *base_args(("serve",), home)])
    check_one_line(result, "huge", usage=True)
    assert "larger than" in result.stderr
    path.unlink()
    path.mkdir()
    check_one_line(invoke(["serve", *base_args(("serve",), home)]), "a dir", usage=True)


def test_write_keeps_every_other_line_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    assert write_config_key(path, "watch-transcripts", True)
    assert read_config(path) == {"watch_transcripts": True}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = ('# mine\nui-port = 3031  # not 3030\nforward = [\n  "https://team:4318",\n]\n'
            'watch-transcripts = false')
    path.write_text(text)
    assert write_config_key(path, "watch-transcripts", True)
    assert path.read_text() == text.rsplit("\n", 1)[0] + "\nwatch-transcripts = true\n"
    assert not write_config_key(path, "watch-transcripts", True)  # already so
    assert write_config_key(path, "watch-transcripts", None)
    assert read_config(path) == {"ui_port": 3031, "forward": ["https://team:4318"]}
    assert path.read_text().startswith("# mine\nui-port = 3031  # not 3030\n")
    assert not write_config_key(path, "watch-transcripts", None)
    # A key inside a multi-line value cannot be edited line by line: refused, untouched.
    tricky = 'redact = """\nwatch-transcripts = 1\n"""\n'
    path.write_text(tricky)
    with pytest.raises(ConfigError):
        write_config_key(path, "watch-transcripts", True)
    assert path.read_text() == tricky


def test_config_option_help_names_the_variable() -> None:
    ctx = click.Context(main)
    serve = main.get_command(ctx, "serve")
    assert serve is not None
    assert "CCOTEL_CONFIG" in serve.get_help(click.Context(serve))

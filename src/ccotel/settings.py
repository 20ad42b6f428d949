"""Every setting of every command, once: name, default, value type, environment variable,
help.

`SETTINGS` (and the hidden `DEBUG_SETTINGS`) is the table. `options(...)` turns entries into
click options for any command (`serve` takes them all; `import`, `report`, `demo` take the
few they use), each checked by its type as it is parsed, so that a bad value is a usage
error naming the option (or the environment variable it came from). The config file
(`config.toml` in the user config dir, `--config`, `CCOTEL_CONFIG`) gives the same settings,
by option name, below the command line and the environment: it becomes click's
`default_map`, so its values pass the same types, and a bad one names the file and key.
`Settings` carries the parsed values to the server; its defaults are the table's. The docs
test checks each entry is documented.

To add a setting: one `Setting(...)` line in `SETTINGS` (or `DEBUG_SETTINGS`) and one field
in `Settings`, whose default is `_DEFAULTS[...]`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ccotel.query import parse_duration
from ccotel.store import MEMORY_LIMIT


def default_data_dir() -> Path:
    import platformdirs  # here: commands given --data-dir / CCOTEL_DATA_DIR start faster

    return Path(platformdirs.user_data_dir("ccotel", appauthor=False))


# -- value types: each refuses a bad value with one line -----------------------------------

class Whole(click.IntRange):
    """A whole number in a range, refused with a plain message."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if not isinstance(value, int):
            try:
                int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a whole number", param, ctx)
        return super().convert(value, param, ctx)


PORT = Whole(0, 65535)
BYTES = Whole(1, 1 << 40)
COUNT = Whole(1, 1 << 31)


class Duration(click.ParamType[str]):
    """`30d`, `12h`, `15m`, `90s`, `500ms`: kept as written, checked here."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        try:
            delta = parse_duration(text)
            if delta <= timedelta(0):
                raise ValueError(f"{text!r} is not a positive duration")
            _ = datetime.now() - delta  # refuses what date arithmetic cannot use
        except (ValueError, OverflowError) as exc:
            self.fail(str(exc) if not isinstance(exc, OverflowError)
                      else f"{text!r} is too long a duration", param, ctx)
        return text


class MemorySize(click.ParamType[str]):
    """A DuckDB memory limit: a number and a unit (`64MB`, `1.5GiB`)."""

    name = "size"
    _FORM = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not self._FORM.fullmatch(text):
            self.fail(f"{text!r} is not a size: use e.g. 64MB, 512MB, 2GB", param, ctx)
        return text


class Token(click.ParamType[str]):
    """A bearer token: it goes in an HTTP header, so printable ASCII without spaces."""

    name = "token"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value)
        if not re.fullmatch(r"[\x21-\x7e]{1,4096}", text):
            self.fail("a token is 1 to 4096 printable ASCII characters without spaces "
                      "(e.g. from 'openssl rand -hex 32')", param, ctx)
        return text


class Redact(click.ParamType[str]):
    """`--redact`: comma-separated categories, checked against `redact.CATEGORIES`."""

    name = "categories"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from ccotel import redact

        try:
            redact.parse(str(value))
        except redact.RedactError as exc:
            self.fail(str(exc).removeprefix("--redact "), param, ctx)
        return str(value)


class DataDir(click.ParamType[Path]):
    """A data dir: a directory, or a path where one can be made. With `create`, it is made
    here (mode 0700: it holds prompts, costs and emails) so that a path that cannot be a
    data dir is a usage error, not a failure halfway through a command."""

    name = "directory"

    def __init__(self, create: bool) -> None:
        self.create = create

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        if isinstance(value, Path) and not str(value):
            self.fail("an empty path is not a directory", param, ctx)
        text = os.fsdecode(value) if not isinstance(value, str) else value
        if not text.strip():
            self.fail("an empty path is not a directory", param, ctx)
        if "\x00" in text:
            self.fail("a path cannot hold a NUL character", param, ctx)
        path = Path(text).expanduser()
        if path.exists() and not path.is_dir():
            self.fail(f"{text} is a file, not a directory", param, ctx)
        if self.create and not path.is_dir():
            try:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                self.fail(f"cannot create {text}: {exc.strerror or exc}", param, ctx)
        if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
            self.fail(f"cannot read {text}: permission denied", param, ctx)
        return path


class PemFile(click.ParamType[Path]):
    """A readable PEM file, kept as an absolute path (server.json names it to clients)."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        path = Path(os.fsdecode(value)).expanduser()
        try:
            head = path.read_bytes()[:1 << 16] if str(value).strip() else b""
        except OSError as exc:
            self.fail(f"cannot read {value}: {exc.strerror or exc}; give a PEM file", param,
                      ctx)
        if b"-----BEGIN " not in head:
            self.fail(f"cannot read {value} as PEM (no '-----BEGIN'): give a PEM file",
                      param, ctx)
        return path.resolve()


PEM_FILE = PemFile()


# -- the table -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    name: str          # option name without dashes, e.g. "grpc-port"
    default: Any
    help: str
    type: Any = str    # str, int, bool, or a click type from above
    hidden: bool = False  # accepted but not in --help or the docs (tests, debugging)
    multiple: bool = False  # repeatable option: a tuple of values (env var: one per line)

    @property
    def env(self) -> str:
        return "CCOTEL_" + self.name.upper().replace("-", "_")

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Address every server listens on."),
    Setting("grpc-port", 4317, "OTLP/gRPC port (0 picks a free port).", PORT),
    Setting("http-port", 4318, "OTLP/HTTP port (0 picks a free port).", PORT),
    Setting("ui-port", 3030, "Dashboard and JSON API port (0 picks a free port).", PORT),
    Setting("metrics-port", 8888, "Prometheus /metrics port (0 picks a free port).", PORT),
    Setting("data-dir", None, "Where the DuckDB store lives [default: the user data dir].",
            DataDir(create=True)),
    Setting("retention", "30d", "Delete data older than this (e.g. 30d, 12h).", Duration()),
    Setting("max-body", 16 * 1024 * 1024,
            "Largest OTLP request accepted, in bytes, measured after decompression.", BYTES),
    Setting("max-records", 32_768, "Records (log records, data points, spans) one OTLP "
            "export may hold; more get 413 / RESOURCE_EXHAUSTED.", COUNT),
    Setting("max-queue", 256, "Export requests waiting for the writer before clients are "
            "asked to back off (429/503, UNAVAILABLE).", COUNT),
    Setting("max-queue-records", 65_536, "Records accepted and not yet written before "
            "clients are asked to back off (503, UNAVAILABLE).", COUNT),
    Setting("request-timeout", 15, "Seconds a client has to send a whole request (headers "
            "and body) before it gets 408 and is disconnected.", Whole(1, 3600)),
    Setting("max-connections", 1024, "Connections each port holds at once (also kept below "
            "the open-file limit); past it the slowest sender is dropped.", Whole(1, 1 << 20)),
    Setting("memory-limit", MEMORY_LIMIT,
            "DuckDB memory limit (past it DuckDB spills to disk).", MemorySize()),
    Setting("token", None, "Bearer token required by OTLP, the dashboard and the API.",
            Token()),
    Setting("insecure", False, "Allow a non-loopback --host without --token.", bool),
    Setting("tls-cert", None, "PEM certificate: serve every port (gRPC and HTTP) over TLS.",
            PEM_FILE),
    Setting("tls-key", None, "PEM private key for --tls-cert.", PEM_FILE),
    Setting("redact", "", "Drop or hash at ingest: prompts,responses,tool-details,emails.",
            Redact()),
    Setting("watch-transcripts", False, "Import Claude Code's transcripts as they are written "
            "(keeps history past Claude Code's own cleanup).", bool),
    Setting("forward", (), "Send everything accepted on to this OTLP endpoint (repeatable): "
            "http(s)://host:port (OTLP/HTTP) or grpc(s)://host:port (OTLP/gRPC).",
            multiple=True),
    Setting("forward-header", (), "Header for --forward, 'name=value' (repeatable), e.g. "
            "'Authorization=Bearer ...' or a vendor's API key.", multiple=True),
    Setting("forward-ca", None, "PEM CA bundle to verify --forward's TLS certificate.",
            PEM_FILE),
    Setting("forward-max-bytes", 256 * 1024 * 1024, "Largest forward outbox per target; "
            "past it the oldest requests are dropped.", BYTES),
    Setting("alerts", None, "Alert rules file [default: <data-dir>/alerts.yaml, if any].",
            click.Path(path_type=Path, dir_okay=False)),
    Setting("alert-interval", "1m", "How often the alert rules are evaluated (e.g. 1m, 5s).",
            Duration()),
)

# Knobs for tests and debugging: accepted by `ccotel serve` but hidden from --help and
# the docs, because changing them is never the answer to a user's problem.
DEBUG_SETTINGS: tuple[Setting, ...] = (
    Setting("retention-interval", "1h", "How often retention runs (e.g. 1h, 500ms).",
            Duration(), hidden=True),
)
_BY_NAME = {s.name: s for s in (*SETTINGS, *DEBUG_SETTINGS)}
_DEFAULTS = {s.attr: s.default for s in _BY_NAME.values()}


def setting(name: str) -> Setting:
    """The table's entry for an option name (e.g. "data-dir")."""
    return _BY_NAME[name]


class SettingOption(click.Option):
    """A click option from the table: a bad value that came from the environment or the
    config file is reported under the variable's name or the file and key, since that is
    where the user must fix it."""

    def get_error_hint(self, ctx: click.Context | None) -> str:
        source = (ctx.get_parameter_source(self.name)
                  if ctx is not None and self.name is not None else None)
        if source is ParameterSource.ENVIRONMENT and isinstance(self.envvar, str):
            return f"environment variable {self.envvar}"
        if source is ParameterSource.DEFAULT_MAP and ctx is not None:
            return f"key '{self.name.replace('_', '-')}' in {ctx.meta.get(_CONFIG_META)}"
        return super().get_error_hint(ctx)


def options(*names: str, overrides: dict[str, dict[str, Any]] | None = None
            ) -> Callable[[Any], Any]:
    """Click options for the named settings (every one, debug ones hidden, when none are
    named), each with its env var, and `--config`: the config file that gives the named
    settings their values when neither the command line nor the environment does.
    `overrides` changes, per setting name (or "config"), what a command needs changed
    (e.g. a read-only command's data dir is not created)."""
    chosen = ([*SETTINGS, *DEBUG_SETTINGS] if not names
              else [s for s in _BY_NAME.values() if s.name in names])
    unknown = set(names) - set(_BY_NAME)
    if unknown:
        raise ValueError(f"no such settings: {sorted(unknown)}")

    def decorate(fn: Any) -> Any:
        for s in reversed(chosen):
            fn = _option(s, **(overrides or {}).get(s.name, {}))(fn)
        return _config_option(**(overrides or {}).get("config", {}))(fn)

    return decorate


def reader_options() -> Callable[[Any], Any]:
    """The settings of a command that reads the store or asks its server (the reports):
    its data dir is not created, so a report on a new path says there is no store yet."""
    return options("data-dir", "token", overrides={"data-dir": {"type": DataDir(create=False)}})


def _option(s: Setting, **override: Any) -> Callable[[Any], Any]:
    kwargs: dict[str, Any] = {"envvar": s.env, "hidden": s.hidden, "cls": SettingOption,
                              "help": f"{s.help} [env: {s.env}]"}
    if s.type is bool:
        kwargs.update(is_flag=True, default=False)
    elif s.multiple:  # repeatable; from the env var one value per line (values may hold spaces)
        kwargs.update(type=_Lines(), default=s.default, multiple=True)
    else:
        kwargs.update(type=s.type, default=s.default, show_default=s.default is not None)
    kwargs.update(override)
    return click.option(f"--{s.name}", s.attr, **kwargs)


class _Lines(click.types.StringParamType):
    """Free text, one value per line when read from an environment variable."""

    envvar_list_splitter = "\n"


# -- the config file: the same settings, below the command line and the environment ------

CONFIG_ENV = "CCOTEL_CONFIG"
CONFIG_MAX_BYTES = 1 << 20  # a config file is a few lines; anything larger is a mistake
_CONFIG_META = "ccotel.config"


def default_config_path() -> Path:
    """`config.toml` in the user config dir (e.g. `~/.config/ccotel/config.toml`)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("ccotel", appauthor=False)) / "config.toml"


class ConfigError(ValueError):
    """A config file that cannot be used, said in one line naming the file (and key)."""


def _parse_config(path: Path) -> dict[str, Any]:
    """The file's TOML table as written ({} when there is no file)."""
    import tomllib

    try:
        with path.open("rb") as f:
            data = f.read(CONFIG_MAX_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > CONFIG_MAX_BYTES:
        raise ConfigError(f"{path} is larger than {CONFIG_MAX_BYTES} bytes: not a config file")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})") from None


def read_config(path: Path) -> dict[str, Any]:
    """The settings in a config file, by attribute name ({} when there is no file).

    Keys are the settings' option names (`watch-transcripts = true`, `ui-port = 3031`,
    `forward = ["https://..."]`); an unknown key or a value of the wrong kind (a table, a
    list for a single value, text for a flag) is a `ConfigError`. The values themselves
    are checked later by each option's click type, like those from the command line; a
    relative path is taken relative to the file's folder."""
    values: dict[str, Any] = {}
    for key, value in _parse_config(path).items():
        s = _BY_NAME.get(key)
        if s is None or s.hidden:
            raise ConfigError(f"unknown key '{key}' in {path}: the keys are `ccotel serve`'s "
                              "options without the dashes, e.g. watch-transcripts = true")
        where = f"key '{key}' in {path}"
        if s.type is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
        elif s.multiple:
            value = [value] if isinstance(value, str) else value
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{where} must be a string or a list of strings")
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigError(f"{where} must be a string or a number")
        if isinstance(value, str) and isinstance(s.type, DataDir | PemFile | click.Path):
            # A relative path in the file is relative to the file, not to wherever the
            # command happens to be started.
            given = Path(value).expanduser()
            value = value if not value or given.is_absolute() else str(path.parent / given)
        values[s.attr] = value
    return values


def write_config_key(path: Path, key: str, value: bool | None) -> bool:
    """Set `key = value` in the config file (remove the key when `value` is None), keeping
    every other line as written, comments too. False when the file already says so. The
    file is replaced atomically, private (mode 0600: it may hold the token)."""
    import os
    import tomllib

    if key not in _BY_NAME:
        raise ValueError(f"no such setting: {key}")
    read_config(path)  # refuse to edit a file that is not a valid config
    before = _parse_config(path)
    if before.get(key, None) is value or (value is None and key not in before):
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    name = re.escape(key)
    own_line = re.compile(rf"""\s*(?:{name}|"{name}"|'{name}')\s*=""")
    lines = [line for line in text.splitlines(keepends=True) if not own_line.match(line)]
    if value is not None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(f"{key} = {'true' if value else 'false'}\n")
    after = "".join(lines)
    expected = {k: v for k, v in before.items() if k != key}
    if value is not None:
        expected[key] = value
    if tomllib.loads(after) != expected:
        raise ConfigError(f"cannot change '{key}' in {path} line by line: edit it by hand")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(after)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True


class ConfigFile(click.ParamType[Path]):
    """`--config`: a config file path. With `must_exist`, a file named on the command line
    or in CCOTEL_CONFIG must be there (the default path need not be)."""

    name = "file"

    def __init__(self, must_exist: bool = True) -> None:
        self.must_exist = must_exist

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        text = os.fsdecode(value) if not isinstance(value, str | Path) else str(value)
        if not text.strip() or "\x00" in text:
            self.fail("give the path of a TOML file", param, ctx)
        path = Path(text).expanduser()
        if path.is_dir():
            self.fail(f"{text} is a directory, not a config file", param, ctx)
        if self.must_exist and not path.exists():
            self.fail(f"{text} does not exist", param, ctx)
        return path


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """Eager: read the config file before the other options, as their `default_map`
    (click then takes the command line, the environment, this file, the default, in
    that order); the file's path stays in `ctx.meta` for `config_path()`."""
    path = value or default_config_path()
    try:
        values = read_config(path)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    ctx.meta[_CONFIG_META] = path
    mine = {p.name for p in ctx.command.params if isinstance(p, SettingOption)}
    ctx.default_map = {**(ctx.default_map or {}),
                       **{k: v for k, v in values.items() if k in mine}}


def config_path(ctx: click.Context) -> Path:
    """The config file the running command read (or would have: it may not exist)."""
    path = ctx.meta.get(_CONFIG_META)
    return path if isinstance(path, Path) else default_config_path()


def _config_option(**override: Any) -> Callable[[Any], Any]:
    kwargs: dict[str, Any] = {
        "type": ConfigFile(), "envvar": CONFIG_ENV, "cls": SettingOption, "is_eager": True,
        "expose_value": False, "callback": _load_config,
        "help": "Config file: settings (option names without dashes) for what neither the "
                "command line nor the environment sets [default: config.toml in the user "
                f"config dir] [env: {CONFIG_ENV}]"}
    kwargs.update(override)
    return click.option("--config", **kwargs)


# -- the values, for the server ------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """The parsed values of `SETTINGS` (defaults from the table)."""

    host: str = _DEFAULTS["host"]
    grpc_port: int = _DEFAULTS["grpc_port"]
    http_port: int = _DEFAULTS["http_port"]
    ui_port: int = _DEFAULTS["ui_port"]
    metrics_port: int = _DEFAULTS["metrics_port"]
    data_dir: Path = field(default_factory=default_data_dir)
    retention: str = _DEFAULTS["retention"]
    max_body: int = _DEFAULTS["max_body"]
    max_records: int = _DEFAULTS["max_records"]
    max_queue: int = _DEFAULTS["max_queue"]
    max_queue_records: int = _DEFAULTS["max_queue_records"]
    request_timeout: int = _DEFAULTS["request_timeout"]
    max_connections: int = _DEFAULTS["max_connections"]
    memory_limit: str = _DEFAULTS["memory_limit"]
    token: str | None = _DEFAULTS["token"]
    insecure: bool = _DEFAULTS["insecure"]
    tls_cert: Path | None = _DEFAULTS["tls_cert"]
    tls_key: Path | None = _DEFAULTS["tls_key"]
    redact: str = _DEFAULTS["redact"]
    watch_transcripts: bool = _DEFAULTS["watch_transcripts"]
    forward: tuple[str, ...] = _DEFAULTS["forward"]
    forward_header: tuple[str, ...] = _DEFAULTS["forward_header"]
    forward_ca: Path | None = _DEFAULTS["forward_ca"]
    forward_max_bytes: int = _DEFAULTS["forward_max_bytes"]
    alerts: Path | None = _DEFAULTS["alerts"]
    alert_interval: str = _DEFAULTS["alert_interval"]
    retention_interval: str = _DEFAULTS["retention_interval"]

    @property
    def retention_delta(self) -> timedelta:
        return parse_duration(self.retention)

    @property
    def retention_interval_s(self) -> float:
        return parse_duration(self.retention_interval).total_seconds()

    @classmethod
    def from_options(cls, **options: Any) -> Settings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in options.items() if k in known and v is not None}
        return cls(**values)

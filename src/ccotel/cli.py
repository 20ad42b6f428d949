"""The `ccotel` command: parse, call, print. Every error becomes one line and an exit code
here, in `_LazyGroup.main` (the codes are in `errors.py`)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from ccotel import __version__, errors
from ccotel.claude.setup import ENV_OPTIONS
from ccotel.report.cli import range_options as _range_options
from ccotel.settings import Settings, default_data_dir, options, reader_options


class _LazyGroup(click.Group):
    """A group whose commands named in `lazy` (name -> module, attribute) are imported only
    when used: `ccotel report` does not pay for the stack's or the demo's imports."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attr = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Run a command; every error ends here, as one line and an exit code
        (`errors.py`): no traceback reaches the terminal (CCOTEL_DEBUG=1 shows one)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:  # usage errors among them: exit 2
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            _fail("aborted", errors.EXIT_FAILED)
        except errors.CcotelError as exc:
            _fail(exc.message, exc.exit_code)
        except OSError as exc:  # a file or socket the user named or gave us
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}", errors.EXIT_FAILED)
        except Exception as exc:  # a bug: still one line, and how to see more
            if os.environ.get("CCOTEL_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); run again with "
                  "CCOTEL_DEBUG=1 to see where", errors.EXIT_INTERNAL)
        sys.exit(rv if isinstance(rv, int) else errors.EXIT_OK)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {errors.one_line(message)}", err=True)
    sys.exit(code)


@click.group(cls=_LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ccotel")
def main() -> None:
    """Monitor Claude Code through OpenTelemetry: one process, exact numbers."""


@main.command()
@options()
def serve(**values: Any) -> None:
    """Receive Claude Code telemetry (OTLP gRPC/HTTP), store it, serve the dashboard."""
    import asyncio
    import logging

    from ccotel.claude.setup import as_shell, claude_env
    from ccotel.server import Running
    from ccotel.server import serve as run
    from ccotel.store.files import private_umask

    settings = Settings.from_options(**values)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def ready(r: Running) -> None:
        shown = "localhost" if r.host in ("127.0.0.1", "::1", "localhost") else r.host
        tls = settings.tls_cert is not None
        scheme = "https" if tls else "http"
        click.echo(f"ccotel {__version__} is receiving Claude Code telemetry")
        click.echo(f"  OTLP/gRPC   {r.host}:{r.grpc_port}")
        click.echo(f"  OTLP/HTTP   {scheme}://{shown}:{r.http_port}")
        click.echo(f"  dashboard   {scheme}://{shown}:{r.ui_port}")
        click.echo(f"  metrics     {scheme}://{shown}:{r.metrics_port}/metrics")
        click.echo(f"  store       {r.data_dir}")
        click.echo("\nGive Claude Code these lines (or put them in the env block of "
                   "~/.claude/settings.json):\n")
        env = claude_env(host=shown, grpc_port=r.grpc_port, http_port=r.http_port,
                         token="<your token>" if settings.token else None, tls=tls)
        click.echo(as_shell(env))
        click.echo("", nl=True)
        sys.stdout.flush()

    try:
        with private_umask():  # the store, its WAL, server.json: the user's alone
            asyncio.run(run(settings, on_ready=ready))
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--protocol", type=click.Choice(["grpc", "http/protobuf", "http/json"]),
              default="grpc", show_default=True, help="OTLP protocol Claude Code should use.")
@click.option("--format", "fmt", type=click.Choice(["shell", "settings"]), default="shell",
              show_default=True, help="shell exports, or the env block of settings.json.")
@click.option("--stack", is_flag=True,
              help="For the compose stack: switch Claude Code to cumulative temporality.")
@options("host", "grpc-port", "http-port", "token", "tls-cert", overrides=ENV_OPTIONS)
def env(protocol: str, fmt: str, stack: bool, host: str, grpc_port: int, http_port: int,
        token: str | None, tls_cert: Path | None) -> None:
    """Print the environment that points Claude Code at `ccotel serve` (or, with --stack,
    at the compose stack's collector)."""
    from ccotel.claude.setup import as_settings_json, as_shell, claude_env

    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    values = claude_env(host=shown, grpc_port=grpc_port, http_port=http_port, protocol=protocol,
                        token=token, tls=tls_cert is not None, cumulative=stack)
    click.echo(as_shell(values) if fmt == "shell" else as_settings_json(values))


@main.group()
def report() -> None:
    """Reports in the terminal (add --json for scripts)."""


@report.command("summary")
@_range_options(dates=False)
@click.option("--user", help="user.id or user.email.")
@click.option("--session", help="session.id.")
@click.option("--model", help="Model name.")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/v1/summary object.")
@reader_options()
def report_summary(since: str | None, until: str | None, user: str | None, session: str | None,
                   model: str | None, as_json: bool, data_dir: Path | None,
                   token: str | None) -> None:
    """Totals for a time range: requests, errors, tools, cost, tokens."""
    from ccotel import client
    from ccotel.query import Query
    from ccotel.store import reader

    data_dir = data_dir or default_data_dir()
    params = {"from": since, "to": until, "user": user, "session": session, "model": model}
    q = Query.parse(params)  # a BadQuery is a usage error (exit 2)
    result = client.read(data_dir, "/api/v1/summary", params,
                         lambda con: reader.summary(con, q), token)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    from ccotel.report.summary import render_summary

    render_summary(result)


# -- commands that live beside their domain ------------------------------------------------
# One line each; the module exports a click command or group, imported when it is used.
def _register() -> None:
    import importlib

    assert isinstance(main, _LazyGroup)
    main.lazy.update({
        "alerts": ("ccotel.alerts.cli", "alerts"),
        "demo": ("ccotel.demo.command", "demo_command"),
        "export": ("ccotel.export_cli", "export_command"),
        "import": ("ccotel.importer.cli", "import_command"),
        "stack": ("ccotel.stack.cli", "stack"),
        "statusline": ("ccotel.claude.cli", "statusline_command"),
        "hook": ("ccotel.claude.cli", "hook_command"),
        "live": ("ccotel.live", "live_command"),
        "setup": ("ccotel.claude.cli", "setup_group"),
    })
    importlib.import_module("ccotel.report.cli").attach(report)


_register()

"""The `ccotel` command: parse, call, print. Domain errors become click errors only here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from ccotel import __version__
from ccotel.settings import DEBUG_SETTINGS, SETTINGS, Setting, Settings, default_data_dir


def setting_options(names: tuple[str, ...] | None = None) -> Callable[[Any], Any]:
    """Click options for the named settings (all, debug ones hidden, when None), each
    with its env var."""
    chosen = [s for s in SETTINGS if names is None or s.name in names]
    debug = list(DEBUG_SETTINGS) if names is None else []

    def decorate(fn: Any) -> Any:
        for s in reversed(debug):
            fn = _option(s, hidden=True)(fn)
        for s in reversed(chosen):
            fn = _option(s)(fn)
        return fn

    return decorate


def _option(s: Setting, hidden: bool = False) -> Callable[[Any], Any]:
    if s.type is bool:
        return click.option(f"--{s.name}", s.attr, envvar=s.env, is_flag=True, default=False,
                            hidden=hidden, help=f"{s.help} [env: {s.env}]")
    ctype: Any = {int: int, Path: click.Path(path_type=Path), str: str}[s.type]
    return click.option(f"--{s.name}", s.attr, envvar=s.env, type=ctype, default=s.default,
                        show_default=s.default is not None, hidden=hidden,
                        help=f"{s.help} [env: {s.env}]")


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


@click.group(cls=_LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ccotel")
def main() -> None:
    """Monitor Claude Code through OpenTelemetry: one process, exact numbers."""


@main.command()
@setting_options()
def serve(**options: Any) -> None:
    """Receive Claude Code telemetry (OTLP gRPC/HTTP), store it, serve the dashboard."""
    import asyncio
    import logging

    from ccotel.claude.setup import as_shell, claude_env
    from ccotel.server import Running, StartupError, serve as run

    settings = Settings.from_options(**options)
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
        asyncio.run(run(settings, on_ready=ready))
    except StartupError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--protocol", type=click.Choice(["grpc", "http/protobuf", "http/json"]),
              default="grpc", show_default=True, help="OTLP protocol Claude Code should use.")
@click.option("--format", "fmt", type=click.Choice(["shell", "settings"]), default="shell",
              show_default=True, help="shell exports, or the env block of settings.json.")
@click.option("--stack", is_flag=True,
              help="For the compose stack: switch Claude Code to cumulative temporality.")
@setting_options(("host", "grpc-port", "http-port", "token", "tls-cert"))
def env(protocol: str, fmt: str, stack: bool, host: str, grpc_port: int, http_port: int,
        token: str | None, tls_cert: Path | None) -> None:
    """Print the environment that points Claude Code at this server."""
    from ccotel.claude.setup import as_settings_json, as_shell, claude_env

    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    values = claude_env(host=shown, grpc_port=grpc_port, http_port=http_port, protocol=protocol,
                        token=token, tls=tls_cert is not None, cumulative=stack)
    click.echo(as_shell(values) if fmt == "shell" else as_settings_json(values))


@main.group()
def report() -> None:
    """Reports in the terminal (add --json for scripts)."""


def _time_options(fn: Any) -> Any:
    fn = click.option("--to", "to", help="End: RFC 3339, epoch ms or now-1h [default: now].")(fn)
    fn = click.option("--from", "from_", help="Start [default: 24 hours before --to].")(fn)
    return fn


def read_api_or_store(data_dir: Path, path: str, params: dict[str, Any],
                      local: Callable[[Any], Any]) -> Any:
    """Ask the running server when there is one (it holds the store's lock), else read
    the store directly."""
    from ccotel.running import find_running
    from ccotel.store import schema

    info = find_running(data_dir)
    if info is not None:
        import os

        import httpx

        token = os.environ.get("CCOTEL_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        host = info["host"] if info["host"] not in ("0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        # The server's own certificate may be self-signed: it is on this machine, named in
        # server.json next to the store, so trust it for this local call.
        verify: Any = True
        if info.get("scheme") == "https" and info.get("tls_cert"):
            verify = info["tls_cert"]
        resp = httpx.get(f"{info.get('scheme', 'http')}://{host}:{info['ui_port']}{path}",
                         params={k: v for k, v in params.items() if v is not None},
                         headers=headers, timeout=60, verify=verify)
        if resp.status_code != 200:
            try:
                msg = resp.json()["error"]["message"]
            except Exception:  # noqa: BLE001
                msg = resp.text[:200]
            raise click.ClickException(msg)
        return resp.json()
    try:
        con = schema.connect(data_dir, read_only=True)
    except schema.SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        return local(con)
    finally:
        con.close()


@report.command("summary")
@_time_options
@click.option("--user", help="user.id or user.email.")
@click.option("--session", help="session.id.")
@click.option("--model", help="Model name.")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/v1/summary object.")
@setting_options(("data-dir",))
def report_summary(from_: str | None, to: str | None, user: str | None, session: str | None,
                   model: str | None, as_json: bool, data_dir: Path | None) -> None:
    """Totals for a time range: requests, errors, tools, cost, tokens."""
    from ccotel.query import BadQuery, Query
    from ccotel.store import reader

    data_dir = data_dir or default_data_dir()
    params = {"from": from_, "to": to, "user": user, "session": session, "model": model}
    try:
        q = Query.parse(params)
    except BadQuery as exc:
        raise click.BadParameter(str(exc)) from None
    result = read_api_or_store(data_dir, "/api/v1/summary", params,
                               lambda con: reader.summary(con, q))
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
        "import": ("ccotel.importer.cli", "import_command"),
        "stack": ("ccotel.stack.cli", "stack"),
    })
    importlib.import_module("ccotel.report.cli").attach(report)


_register()

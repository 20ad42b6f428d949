"""`ccotel stack ...`: generate and run the Docker Compose stack (Grafana, Prometheus, Loki,
OTel Collector). Thin: parse (each option checked by its type), call `generate` /
`compose`, print; their `StackError`s are shown by `ccotel.cli` as one line."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from ccotel.settings import DataDir, Duration, options
from ccotel.stack import compose as compose_mod
from ccotel.stack.generate import (
    ANONYMOUS_ROLES,
    DEFAULT_DIR,
    StackAlerts,
    StackOptions,
)
from ccotel.stack.generate import (
    init as init_stack,
)

_DIR = click.argument("directory", required=False,
                      type=click.Path(file_okay=False, path_type=Path), default=str(DEFAULT_DIR))
_DEFAULTS = StackOptions()
_PORT = click.IntRange(1, 65535)


class _Address(click.ParamType[str]):
    """An IP address to publish the ports on."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        import ipaddress

        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            self.fail(f"{value!r} is not an IP address (e.g. 127.0.0.1, 0.0.0.0)", param, ctx)


class _Image(click.ParamType[str]):
    """A container image reference (it is written into docker-compose.yml as is)."""

    name = "image"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        import re

        text = str(value)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}", text):
            self.fail(f"{text!r} is not an image reference (e.g. grafana/grafana:10.3.3)",
                      param, ctx)
        return text


class _Tail(click.ParamType[str]):
    """`docker compose logs --tail`: a line count or `all`."""

    name = "lines"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        if text != "all" and not (text.isdigit() and int(text) <= 10_000_000):
            self.fail(f"{text!r} is not a line count or 'all'", param, ctx)
        return text


@click.group()
def stack() -> None:
    """The Grafana/Prometheus/Loki compose stack, with numbers that match Claude Code's own."""


@stack.command()
@_DIR
@click.option("--force", is_flag=True, help="Overwrite files you changed (shows the diff).")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option("--bind", type=_Address(), default=_DEFAULTS.bind, show_default=True,
              help="Host address the ports are published on (0.0.0.0 exposes the stack).")
@click.option("--grafana-port", type=_PORT, default=_DEFAULTS.grafana_port, show_default=True)
@click.option("--prometheus-port", type=_PORT, default=_DEFAULTS.prometheus_port,
              show_default=True)
@click.option("--loki-port", type=_PORT, default=_DEFAULTS.loki_port, show_default=True)
@click.option("--otlp-grpc-port", type=_PORT, default=_DEFAULTS.otlp_grpc_port,
              show_default=True)
@click.option("--otlp-http-port", type=_PORT, default=_DEFAULTS.otlp_http_port,
              show_default=True)
@click.option("--collector-metrics-port", type=_PORT, default=_DEFAULTS.collector_metrics_port,
              show_default=True)
@click.option("--metrics-retention", type=Duration(), default=_DEFAULTS.metrics_retention,
              show_default=True)
@click.option("--logs-retention", type=Duration(), default=_DEFAULTS.logs_retention,
              show_default=True)
@click.option("--grafana-anonymous", "anonymous_role", type=click.Choice(ANONYMOUS_ROLES),
              default=_DEFAULTS.anonymous_role, show_default=True,
              help="Role of visitors who are not logged in ('off' requires a login).")
@click.option("--collector-image", type=_Image(), default=_DEFAULTS.collector_image,
              show_default=True)
@click.option("--loki-image", type=_Image(), default=_DEFAULTS.loki_image,
              show_default=True)
@click.option("--prometheus-image", type=_Image(), default=_DEFAULTS.prometheus_image,
              show_default=True)
@click.option("--grafana-image", type=_Image(), default=_DEFAULTS.grafana_image,
              show_default=True)
@click.option("--alerts", "alerts_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Alert rules file (see `ccotel alerts check`): adds Prometheus alerting "
                   "rules and Alertmanager.")
@click.option("--alertmanager-port", type=int, default=_DEFAULTS.alertmanager_port,
              show_default=True)
@click.option("--alertmanager-image", default=_DEFAULTS.alertmanager_image, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
def init(directory: Path, force: bool, dry_run: bool, as_json: bool, alerts_file: Path | None,
         **options: Any) -> None:
    """Write the stack into DIRECTORY [default: ~/.config/claude-otel-monitoring]."""
    alerts = None
    if alerts_file is not None:
        from ccotel.alerts.rules import RulesError, load

        try:
            alerts = StackAlerts(load(alerts_file), alerts_file.name)
        except RulesError as exc:
            raise click.ClickException(f"--alerts: {exc}") from None
    result = init_stack(directory, StackOptions(**options), force=force, dry_run=dry_run,
                        alerts=alerts)
    if as_json:
        click.echo(json.dumps({"directory": str(result.directory),
                               "env_created": result.env_created,
                               "files": [asdict(c) for c in result.changes]}, indent=2))
        return
    verb = "would be " if dry_run else ""
    for change in result.changes:
        if change.status == "unchanged":
            continue
        click.echo(f"{change.status if not dry_run else verb + change.status:>12}  "
                   f"{change.path}")
        if change.diff:
            click.echo(change.diff, nl=not change.diff.endswith("\n"))
    if result.env_created:
        click.echo(f"{'created':>12}  .env (Grafana admin password, mode 0600)")
    if result.kept:
        click.echo(f"\n{len(result.kept)} file(s) you changed were kept; the diff above shows "
                   "what ccotel would write. Re-run with --force to take ccotel's version.")
    if not dry_run:
        click.echo(f"\nStack ready in {result.directory}. Next:\n"
                   f"  ccotel stack up {result.directory}\n"
                   "  ccotel env --stack   # the environment for Claude Code")


def _open(directory: Path) -> compose_mod.Compose:
    return compose_mod.Compose.open(directory)


@stack.command()
@_DIR
def up(directory: Path) -> None:
    """Start the stack (docker compose up -d)."""
    code = _open(directory).up()
    if code == 0:
        click.echo("Started. Grafana: see 'ccotel stack status' for every service.")
    sys.exit(code)


@stack.command()
@_DIR
def down(directory: Path) -> None:
    """Stop the stack, keeping its data (docker compose down)."""
    sys.exit(_open(directory).down())


@stack.command()
@_DIR
@click.confirmation_option(prompt="Delete all metrics, logs and Grafana settings of the stack?")
def reset(directory: Path) -> None:
    """Delete the stack's data and start it again (down -v, up -d)."""
    sys.exit(_open(directory).reset())


@stack.command()
@_DIR
@click.argument("service", required=False, type=click.Choice(compose_mod.SERVICES),
                metavar="[SERVICE]")
@click.option("--dir", "old_dir", type=click.Path(file_okay=False, path_type=Path),
              hidden=True, help="Deprecated: give the directory as the first argument.")
@click.option("--no-follow", is_flag=True, help="Print and exit instead of following.")
@click.option("--tail", type=_Tail(), default="200", show_default=True,
              help="Lines per container.")
def logs(directory: Path, service: str | None, old_dir: Path | None, no_follow: bool,
         tail: str) -> None:
    """Container logs of the stack in DIRECTORY: all, or one SERVICE (otel-collector,
    loki, prometheus, grafana); `ccotel stack logs grafana` reads the default directory."""
    if service is None and str(directory) in compose_mod.SERVICES \
            and not directory.is_dir():
        directory, service = Path(DEFAULT_DIR), str(directory)
    if old_dir is not None:
        click.echo("--dir is deprecated: give the directory as the first argument, as the "
                   "other stack commands take it", err=True)
        directory = old_dir
    sys.exit(_open(directory).logs(service, follow=not no_follow, tail=tail))


@stack.command()
@_DIR
@options("data-dir", overrides={"data-dir": {
    "type": DataDir(create=False),
    "help": "The data dir of a `ccotel serve` that may hold the ports "
            "[default: the user data dir]."}})
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def status(directory: Path, data_dir: Path | None, as_json: bool) -> None:
    """Check Loki, Prometheus, Grafana and the collector over HTTP (no Docker needed), by
    the endpoints the README's troubleshooting uses; say when `ccotel serve` has a port."""
    from ccotel.running import find_running
    from ccotel.settings import default_data_dir

    checks = compose_mod.status(directory, server=find_running(data_dir or default_data_dir()))
    if as_json:
        click.echo(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for c in checks:
            click.echo(f"{'ok' if c.ok else 'DOWN':>4}  {c.service:<15} {c.url:<40} {c.detail}")
    sys.exit(0 if all(c.ok for c in checks) else 1)

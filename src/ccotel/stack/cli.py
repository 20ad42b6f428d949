"""`ccotel stack ...`: generate and run the Docker Compose stack (Grafana, Prometheus, Loki,
OTel Collector). Thin: parse, call `generate` / `compose`, print."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from ccotel.stack import compose as compose_mod
from ccotel.stack.generate import (
    ANONYMOUS_ROLES,
    DEFAULT_DIR,
    StackAlerts,
    StackError,
    StackOptions,
)
from ccotel.stack.generate import (
    init as init_stack,
)

_DIR = click.argument("directory", required=False, type=click.Path(path_type=Path),
                      default=str(DEFAULT_DIR))
_DEFAULTS = StackOptions()


@click.group()
def stack() -> None:
    """The Grafana/Prometheus/Loki compose stack, with numbers that match Claude Code's own."""


@stack.command()
@_DIR
@click.option("--force", is_flag=True, help="Overwrite files you changed (shows the diff).")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option("--bind", default=_DEFAULTS.bind, show_default=True,
              help="Host address the ports are published on (0.0.0.0 exposes the stack).")
@click.option("--grafana-port", type=int, default=_DEFAULTS.grafana_port, show_default=True)
@click.option("--prometheus-port", type=int, default=_DEFAULTS.prometheus_port,
              show_default=True)
@click.option("--loki-port", type=int, default=_DEFAULTS.loki_port, show_default=True)
@click.option("--otlp-grpc-port", type=int, default=_DEFAULTS.otlp_grpc_port,
              show_default=True)
@click.option("--otlp-http-port", type=int, default=_DEFAULTS.otlp_http_port,
              show_default=True)
@click.option("--collector-metrics-port", type=int, default=_DEFAULTS.collector_metrics_port,
              show_default=True)
@click.option("--metrics-retention", default=_DEFAULTS.metrics_retention, show_default=True)
@click.option("--logs-retention", default=_DEFAULTS.logs_retention, show_default=True)
@click.option("--grafana-anonymous", "anonymous_role", type=click.Choice(ANONYMOUS_ROLES),
              default=_DEFAULTS.anonymous_role, show_default=True,
              help="Role of visitors who are not logged in ('off' requires a login).")
@click.option("--collector-image", default=_DEFAULTS.collector_image, show_default=True)
@click.option("--loki-image", default=_DEFAULTS.loki_image, show_default=True)
@click.option("--prometheus-image", default=_DEFAULTS.prometheus_image, show_default=True)
@click.option("--grafana-image", default=_DEFAULTS.grafana_image, show_default=True)
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
    try:
        result = init_stack(directory, StackOptions(**options), force=force, dry_run=dry_run,
                            alerts=alerts)
    except StackError as exc:
        raise click.ClickException(str(exc)) from None
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
    try:
        return compose_mod.Compose.open(directory)
    except StackError as exc:
        raise click.ClickException(str(exc)) from None


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
@click.argument("service", required=False, type=click.Choice(compose_mod.SERVICES))
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=str(DEFAULT_DIR),
              show_default=True, help="The stack directory.")
@click.option("--no-follow", is_flag=True, help="Print and exit instead of following.")
@click.option("--tail", default="200", show_default=True, help="Lines per container.")
def logs(service: str | None, directory: Path, no_follow: bool, tail: str) -> None:
    """Container logs: all, or one SERVICE."""
    try:
        code = _open(directory).logs(service, follow=not no_follow, tail=tail)
    except StackError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(code)


@stack.command()
@_DIR
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="CCOTEL_DATA_DIR",
              default=None, help="The data dir of a `ccotel serve` that may hold the ports "
              "[default: ccotel's default data dir].")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def status(directory: Path, data_dir: Path | None, as_json: bool) -> None:
    """Check Loki, Prometheus, Grafana and the collector over HTTP (no Docker needed), by
    the endpoints the README's troubleshooting uses; say when `ccotel serve` has a port."""
    from ccotel.running import find_running
    from ccotel.settings import default_data_dir

    server = find_running(data_dir or default_data_dir())
    try:
        checks = compose_mod.status(directory, server=server)
    except StackError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for c in checks:
            click.echo(f"{'ok' if c.ok else 'DOWN':>4}  {c.service:<15} {c.url:<40} {c.detail}")
    sys.exit(0 if all(c.ok for c in checks) else 1)

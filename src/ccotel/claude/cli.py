"""`ccotel statusline` and `ccotel setup claude`: the commands Claude Code's settings name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ccotel.claude import statusline as sl
from ccotel.settings import ConfigFile, DataDir, options

_SERVER_OPTIONS = (
    click.option("--url", envvar="CCOTEL_URL",
                 help="The ccotel server to send snapshots to (another machine's, for totals "
                      "across machines) [env: CCOTEL_URL; default: the one running here]."),
    click.option("--data-dir", type=DataDir(create=False), envvar="CCOTEL_DATA_DIR",
                 help="Data dir of the local server [env: CCOTEL_DATA_DIR]."),
    click.option("--user", envvar="CCOTEL_USER",
                 help="Account name for snapshots whose session sends no telemetry "
                      "[env: CCOTEL_USER]."),
)


def _server_options(fn: Any) -> Any:
    for option in reversed(_SERVER_OPTIONS):
        fn = option(fn)
    return fn


@click.command("statusline")
@click.option("--format", "fmt", default=sl.DEFAULT_FORMAT, show_default=True,
              help="Segments to show, comma-separated, in order.")
@_server_options
@click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR).")
@click.option("--no-send", is_flag=True, help="Print the line only; send no snapshot.")
def statusline_command(fmt: str, url: str | None, data_dir: Path | None, user: str | None,
                       no_color: bool, no_send: bool) -> None:
    """Claude Code's statusLine command: reads its JSON on stdin, prints one line (model,
    costs, 5-hour and 7-day limits with pace, context, repo and branch) and sends a
    snapshot to the ccotel server in the background. Never fails: exit status 0."""
    sl.statusline(fmt=fmt, url=url, data_dir=str(data_dir) if data_dir else None,
                  user=user, no_color=no_color, no_send=no_send)


@click.command("hook")
@_server_options
def hook_command(url: str | None, data_dir: Path | None, user: str | None) -> None:
    """Claude Code's hook command. SessionStart: sends the session's machine, folder, repo
    and branch to the server in the background, prints nothing. UserPromptSubmit: prints a
    warning when the user is over a budget, and stops the prompt (exit 2, the reason on
    stderr) when that budget's rule says `block: true`. No server: exit 0, nothing."""
    sys.exit(sl.hook(url=url, data_dir=str(data_dir) if data_dir else None, user=user))


@click.group("setup")
def setup_group() -> None:
    """Write what a tool needs to report to ccotel into its settings."""


@setup_group.command("claude")
@click.option("--scope", type=click.Choice(["user", "project"]), default="user",
              show_default=True,
              help="~/.claude/settings.json, or the project's .claude/settings.json.")
@click.option("--project-dir", type=click.Path(path_type=Path, file_okay=False),
              help="The project for --scope project [default: the current directory].")
@click.option("--dry-run", is_flag=True, help="Show the difference; change nothing.")
@click.option("--undo", is_flag=True,
              help="Put back what ccotel set, as it was before the first setup.")
@click.option("--protocol", type=click.Choice(["grpc", "http/protobuf", "http/json"]),
              default="grpc", show_default=True, help="OTLP protocol Claude Code should use.")
@click.option("--url", envvar="CCOTEL_URL",
              help="Dashboard URL of a ccotel server on another machine, for the statusline "
                   "and hook (the OTLP endpoint follows --host) [env: CCOTEL_URL].")
@click.option("--watch-transcripts", is_flag=True,
              help="Also write 'watch-transcripts = true' into ccotel's config file, so that "
                   "`ccotel serve` keeps Claude Code's transcripts as they are written.")
@options("host", "grpc-port", "http-port", "token", "tls-cert", "data-dir",
         overrides={"config": {"type": ConfigFile(must_exist=False)}})
def setup_claude(scope: str, project_dir: Path | None, dry_run: bool, undo: bool,
                 protocol: str, url: str | None, watch_transcripts: bool, host: str,
                 grpc_port: int, http_port: int, token: str | None, tls_cert: Path | None,
                 data_dir: Path | None) -> None:
    """Write the telemetry env block, the statusLine command and ccotel's hooks into
    Claude Code's settings, merged with what is there (a backup is kept; run it again and
    nothing changes; --undo takes it back out, and watch-transcripts out of the config
    file)."""
    import shlex

    from ccotel.claude import setup

    path = setup.settings_path(scope, str(project_dir) if project_dir else None)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    env = setup.claude_env(host=shown, grpc_port=grpc_port, http_port=http_port,
                           protocol=protocol, token=token, tls=tls_cert is not None)
    if token:  # the statusline and hook answer to the same server
        env["CCOTEL_TOKEN"] = token
    ccotel = setup.ccotel_command()
    extra = "".join(f" {flag} {shlex.quote(str(v))}" for flag, v in
                    (("--url", url), ("--data-dir", data_dir)) if v)
    hook_cmd = f"{ccotel} hook{extra}"
    try:
        before = setup.read_settings(path)
        if undo:
            backup = path.with_name(path.name + setup.BACKUP_SUFFIX)
            original = setup.read_settings(backup)
            after = setup.undone(before, original, list(env), hook_cmd)
        else:
            after = setup.merged(before, env, f"{ccotel} statusline{extra}", hook_cmd)
        diff = setup.difference(path, before, after)
        if not diff:
            click.echo(f"{path}: already {'as before ccotel' if undo else 'set up'}; "
                       "nothing to change")
        else:
            click.echo(diff, nl=False)
            if dry_run:
                click.echo("(dry run: nothing written)")
            else:
                setup.write_settings(path, after)
                click.echo(f"wrote {path} (the original is kept in "
                           f"{path.name}{setup.BACKUP_SUFFIX})")
    except setup.SetupError as exc:
        raise click.ClickException(str(exc)) from None
    if watch_transcripts or undo:
        _config_watch(None if undo else True, dry_run)


def _config_watch(value: bool | None, dry_run: bool) -> None:
    """Set (True) or remove (None) `watch-transcripts` in the config file this command
    read, and say so."""
    from ccotel.settings import ConfigError, config_path, read_config, write_config_key

    path = config_path(click.get_current_context())
    try:
        present = "watch_transcripts" in read_config(path)
        if dry_run:
            if value or present:
                click.echo(f"(dry run: would {'write' if value else 'remove'} "
                           f"watch-transcripts in {path})")
            return
        if write_config_key(path, "watch-transcripts", value):
            click.echo(f"wrote watch-transcripts = true into {path}: `ccotel serve` imports "
                       "Claude Code's transcripts as they are written (restart a running "
                       "server)" if value else f"removed watch-transcripts from {path}")
        elif value:
            click.echo(f"{path}: watch-transcripts = true already")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None

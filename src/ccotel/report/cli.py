"""`ccotel report daily | weekly | monthly | session | blocks | models | tools | projects |
users`: ccusage's reports over the store (telemetry and imported transcripts).

`attach(report_group)` adds them to the `ccotel report` group; this module imports only
click at load time so `ccotel --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import click

HELP = {
    "daily": "Tokens and cost per day.",
    "weekly": "Tokens and cost per week (ISO weeks, starting on Monday).",
    "monthly": "Tokens and cost per month.",
    "session": "Tokens and cost per Claude Code session.",
    "blocks": "5-hour usage windows, with burn rate and projection for the active one.",
    "models": "Requests, tokens, cost and latency per model.",
    "tools": "Tool calls, failures and rejections per tool.",
    "projects": "Tokens and cost per project (the directory Claude Code ran in).",
    "users": "Tokens and cost per user (from telemetry; transcripts name no user).",
    "repos": "Tokens and cost per git repository (host/owner/name, else its folder).",
    "branches": "Tokens and cost per git branch.",
    "skills": "Tokens and cost per skill (skill.name).",
    "agents": "Tokens and cost per subagent (agent.name).",
    "mcp": "Tokens and cost per MCP server (mcp_server.name).",
    "waste": "Where the money went, per day, user and repo: compactions, subagents, cache "
             "rewrites, errors, refusals.",
}


def _options(fn: Any) -> Any:
    from ccotel.settings import reader_options

    fn = reader_options()(fn)
    fn = click.option("--json", "as_json", is_flag=True,
                      help="Print JSON (ccusage's field names).")(fn)
    fn = click.option("--source", type=click.Choice(["all", "telemetry", "transcript"]),
                      default="all", show_default=True,
                      help="Count telemetry, imported transcripts, or both (a request "
                           "known from both counts once, as telemetry).")(fn)
    fn = click.option("--filter", "-f", "filters", multiple=True, metavar="DIM=VALUE",
                      help="Only requests whose DIM has this value (repeatable; DIM as "
                           "for --breakdown).")(fn)
    fn = click.option("--breakdown", "-b", is_flag=False, flag_value="model", default=None,
                      metavar="[DIM]",
                      help="A row per model, or per value of DIM: repo, branch, skill, "
                           "agent, mcp, query_source, effort, speed, user, team, or any "
                           "attribute or resource key.")(fn)
    fn = click.option("--tz", "--timezone", "tz",
                      help="IANA time zone for dates [default: the system's].")(fn)
    fn = click.option("--until", "-u", help="Last day, inclusive (YYYY-MM-DD or YYYYMMDD).")(fn)
    fn = click.option("--since", "-s", help="First day (YYYY-MM-DD or YYYYMMDD).")(fn)
    return fn


def _command(name: str) -> click.Command:
    def run(since: str | None, until: str | None, tz: str | None, breakdown: str | None,
            filters: tuple[str, ...], source: str, as_json: bool, data_dir: Path | None,
            token: str | None) -> None:
        from ccotel.report.query import filter_params

        report = fetch(name, {"since": since, "until": until, "tz": tz, "source": source,
                              "breakdown": breakdown, **filter_params(filters)},
                       data_dir, token)
        if as_json:
            click.echo(json.dumps(report, indent=2))
            return
        from rich.console import Console

        from ccotel.report.render import render

        render(name, report, Console(), breakdown=breakdown is not None)

    run.__doc__ = HELP[name]
    return click.command(name, help=HELP[name])(_options(run))


def fetch(name: str, params: dict[str, Any], data_dir: Path | None,
          token: str | None = None) -> dict[str, Any]:
    """The report object: from the running server when there is one, else the store."""
    from ccotel import client
    from ccotel.report.query import ReportQuery
    from ccotel.settings import default_data_dir

    q = ReportQuery.parse(params)  # a BadQuery is a usage error (exit 2)

    def local(con: Any) -> Any:
        from ccotel.report import data

        return data.build(con, name, q)

    data_dir = data_dir or default_data_dir()
    return client.read(data_dir, f"/api/v1/report/{name}",  # type: ignore[no-any-return]
                       q.as_params(), local, token)


COMMANDS: dict[str, Callable[[], click.Command]] = {n: partial(_command, n) for n in HELP}


def attach(group: click.Group) -> None:
    """Add every report command to `ccotel report`."""
    for make in COMMANDS.values():
        group.add_command(make())

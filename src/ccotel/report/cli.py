"""`ccotel report daily | weekly | monthly | session | blocks | models | tools | projects |
users`: ccusage's reports over the store (telemetry and imported transcripts).

`attach(report_group)` adds them to the `ccotel report` group; this module imports only
click at load time so `ccotel --help` stays fast. `range_options` is the one definition of
the range options of every report, `report summary` included: `--since/--from` and
`--until/--to` are the same option under two names.

Default ranges: the calendar reports cover all dates, as ccusage's do (scripts written
for it expect that); `report summary` covers the last 24 hours, the time window of the
dashboard too. Every report says the range it covered, in its title and in `--json`.
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


def range_options(*, dates: bool) -> Callable[[Any], Any]:
    """`--since/--from/-s` and `--until/--to/-u`, passed as `since` and `until`. Calendar
    reports (`dates`) take days (a time is taken as its day in --tz); `report summary`
    takes times."""
    if dates:
        first = ("First day (YYYY-MM-DD or YYYYMMDD; or a time such as now-7d, "
                 "taken as its day) [default: all dates].")
        last = "Last day, inclusive [default: today]."
    else:
        first = "Start: RFC 3339, epoch ms or now-6h [default: 24 hours before --until]."
        last = "End: RFC 3339, epoch ms or now-1h [default: now]."

    def apply(fn: Any) -> Any:
        fn = click.option("--until", "--to", "-u", "until", metavar="WHEN", help=last)(fn)
        return click.option("--since", "--from", "-s", "since", metavar="WHEN", help=first)(fn)

    return apply


def _options(fn: Any) -> Any:
    from ccotel.settings import reader_options

    fn = reader_options()(fn)
    fn = click.option("--json", "as_json", is_flag=True,
                      help="Print JSON (ccusage's field names, and `range`).")(fn)
    fn = click.option("--wide", is_flag=True,
                      help="Every column with exact numbers, however wide the terminal.")(fn)
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
    return range_options(dates=True)(fn)


def _command(name: str) -> click.Command:
    def run(since: str | None, until: str | None, tz: str | None, breakdown: str | None,
            filters: tuple[str, ...], source: str, wide: bool, as_json: bool,
            data_dir: Path | None, token: str | None) -> None:
        from ccotel.report.query import filter_params

        report = fetch(name, {"since": since, "until": until, "tz": tz, "source": source,
                              "breakdown": breakdown, **filter_params(filters)},
                       data_dir, token)
        if as_json:
            click.echo(json.dumps(report, indent=2))
            return
        from rich.console import Console

        from ccotel.report.render import render

        render(name, report, Console(), breakdown=breakdown is not None, wide=wide)

    run.__doc__ = HELP[name]
    return click.command(name, help=HELP[name])(_options(run))


def fetch(name: str, params: dict[str, Any], data_dir: Path | None,
          token: str | None = None) -> dict[str, Any]:
    """The report object: from the running server when there is one, else the store; with
    `range`, what it covered (dates in its zone and the UTC instants they begin and end)."""
    from ccotel import client
    from ccotel.report.query import ReportQuery, local_timezone
    from ccotel.settings import default_data_dir

    tz = params.get("tz") or local_timezone()
    days = {k: _day(k, params.get(k), tz) for k in ("since", "until")}
    q = ReportQuery.parse({**params, **days})  # a BadQuery is a usage error (exit 2)

    def local(con: Any) -> Any:
        from ccotel.report import data

        return data.build(con, name, q)

    data_dir = data_dir or default_data_dir()
    report: dict[str, Any] = client.read(data_dir, f"/api/v1/report/{name}",
                                         q.as_params(), local, token)
    start, end = q.utc_range()
    report["range"] = {"since": q.since and q.since.isoformat(),
                       "until": q.until and q.until.isoformat(), "timezone": q.tz,
                       "from": _iso(start), "to": _iso(end)}
    return report


def _iso(dt: Any) -> str | None:
    return None if dt is None else dt.isoformat(timespec="seconds") + "Z"


def _day(name: str, text: str | None, tz: str) -> str | None:
    """A report's day: a date as given, or the day (in `tz`) of a time such as now-7d or
    an RFC 3339 instant, so the range options read alike in every report."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from ccotel.query import BadQuery, parse_time
    from ccotel.report.query import _DATE, check_timezone

    if not text or _DATE.match(text.strip()):
        return text
    zone: ZoneInfo = check_timezone(tz)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        at = parse_time(text, now=now, default=now)
    except BadQuery:
        raise BadQuery(f"--{name} {text[:60]!r} is not a day or a time: use YYYY-MM-DD, "
                       "RFC 3339 or now-7d") from None
    return at.replace(tzinfo=UTC).astimezone(zone).date().isoformat()


COMMANDS: dict[str, Callable[[], click.Command]] = {n: partial(_command, n) for n in HELP}


def attach(group: click.Group) -> None:
    """Add every report command to `ccotel report`."""
    for make in COMMANDS.values():
        group.add_command(make())

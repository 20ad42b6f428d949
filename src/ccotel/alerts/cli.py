"""`ccotel alerts ...`: check a rules file. Thin: parse, call `rules`, print."""

from __future__ import annotations

from pathlib import Path

import click

from ccotel.alerts.rules import (
    Limit,
    Rule,
    RulesError,
    Silence,
    Spend,
    Spike,
    format_duration,
    load,
)


@click.group()
def alerts() -> None:
    """Budgets and alerts: the rules file shared by `ccotel serve` and the stack."""


@alerts.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def check(file: Path) -> None:
    """Validate FILE; every problem is printed with its line number (exit code 1)."""
    try:
        parsed = load(file)
    except RulesError as exc:
        for p in exc.problems:
            click.echo(p.at(exc.source), err=True)
        raise SystemExit(1) from None
    for rule in parsed.rules:
        click.echo(f"{rule.name}: {describe(rule)}")
    click.echo(f"{file}: {len(parsed.rules)} rule(s), {len(parsed.receivers)} receiver(s), OK")


def describe(rule: Rule) -> str:
    """One line in plain words: what the rule watches and where it goes."""
    c = rule.condition
    if isinstance(c, Spend):
        what = f"spend over ${c.over} per {c.per}" + ("" if c.by == "total" else f" per {c.by}")
    elif isinstance(c, Limit):
        what = f"plan limit {c.plan!r} " + " or ".join(
            ([f"used over {c.used_over:g}%"] if c.used_over is not None else [])
            + (["projected to run out before its reset"] if c.runs_out else []))
    elif isinstance(c, Spike):
        what = (f"{c.of.replace('_', ' ')} over {c.over:g} in {format_duration(c.window)}"
                + ("" if c.by == "total" else " per user"))
    else:
        assert isinstance(c, Silence)
        what = (f"a {c.by} seen in the last {format_duration(c.seen_within)} silent for "
                f"{format_duration(c.after)}")
    extras = [f"for {format_duration(rule.for_)}"] if rule.for_ else []
    extras += [f"notify {', '.join(rule.notify)}"] if rule.notify else ["no receivers"]
    extras += ["blocks prompts"] if rule.block else []
    return f"{what} ({'; '.join(extras)})"


"""The rules file: the documented example as written, every rule kind, and errors that name
their line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ccotel.alerts.rules import (
    MAX_BYTES,
    Limit,
    RulesError,
    Silence,
    Spend,
    Spike,
    load,
    parse,
)

EXAMPLE = """\
receivers:
  - name: team
    webhook: http://127.0.0.1:9099/hook
rules:
  - name: daily-budget
    spend: {over: 0.01, per: day, by: user}
    notify: [team]
    block: true
"""


def _problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RulesError) as info:
        parse(text, "f.yaml")
    return [(p.line, p.message) for p in info.value.problems]


def test_the_documented_example_works_as_written() -> None:
    rules = parse(EXAMPLE)
    assert [r.name for r in rules.receivers] == ["team"]
    assert rules.receiver("team").webhook == "http://127.0.0.1:9099/hook"
    (rule,) = rules.rules
    assert rule.name == "daily-budget"
    assert rule.condition == Spend(Decimal("0.01"), "day", "user")
    assert isinstance(rule.condition.over, Decimal)  # exact, not 0.01 as a float
    assert rule.notify == ("team",) and rule.block and rule.for_ == timedelta(0)


def test_every_rule_kind_and_option() -> None:
    rules = parse("""\
attributes: {team: department}
receivers:
  - name: chat
    apprise: [slack://a/b/c, "ntfy://ntfy.example/alerts"]
  - name: hook
    webhook: https://hooks.example/x
rules:
  - name: team-month
    spend: {over: 250, per: month, by: team}
    notify: chat
  - name: repo-week
    spend: {over: 40.5, per: week, by: repo}
  - name: model-day
    spend: {over: 3, per: day, by: model}
  - name: total-day
    spend: {over: 100, per: day}
  - name: plan-80
    limit: {plan: seven_day, used_over: 80}
    block: true
  - name: plan-runs-out
    limit: {plan: five_hour, runs_out: true}
  - name: errors
    spike: {of: error_rate, over: 0.2, window: 15m, by: user}
    for: 5m
    repeat: 1h
    severity: critical
    summary: Claude Code requests fail
    notify: [hook, chat]
  - name: retries
    spike: {of: retries_exhausted, over: 3, window: 1h}
  - name: refusals
    spike: {of: refusals, over: 0, window: 10m}
  - name: quiet
    silence: {by: machine, after: 6h, seen_within: 14d}
""")
    by_name = {r.name: r for r in rules.rules}
    assert rules.attributes["team"] == "department"
    assert rules.attributes["machine"] == "host.name"  # defaults kept
    assert rules.receiver("chat").apprise == ("slack://a/b/c", "ntfy://ntfy.example/alerts")
    assert by_name["team-month"].notify == ("chat",)
    assert by_name["total-day"].condition == Spend(Decimal(100), "day", "total")
    assert by_name["plan-80"].condition == Limit("seven_day", 80.0, False)
    assert by_name["plan-runs-out"].condition == Limit("five_hour", None, True)
    errors = by_name["errors"]
    assert errors.condition == Spike("error_rate", 0.2, timedelta(minutes=15), "user")
    assert (errors.for_, errors.repeat) == (timedelta(minutes=5), timedelta(hours=1))
    assert (errors.severity, errors.notify) == ("critical", ("hook", "chat"))
    assert by_name["quiet"].condition == Silence("machine", timedelta(hours=6),
                                                 timedelta(days=14))
    assert [r.kind for r in rules.rules].count("spike") == 3


def test_every_problem_is_reported_with_its_line() -> None:
    problems = _problems("""\
receivers:
  - name: team
    webhok: http://x
  - name: team
    webhook: ftp://files
rules:
  - name: a
    spend: {over: -1, per: year}
    notify: [nobody]
  - name: b
    silence: {by: user, after: 6x}
    blok: true
  - name: c
    spike: {of: error_rate, over: 2, window: 5m}
    block: true
  - name: a
    spend: {over: 1, per: day}
    limit: {plan: seven_day, used_over: 150}
  - name: bad name!
    silence: {by: host, after: 1h}
    for: soon
""")
    lines = {line for line, _ in problems}
    text = "\n".join(f"{line}: {m}" for line, m in problems)
    assert (3, "unknown key 'webhok' in a receiver: use name, webhook, apprise") in problems
    assert (4, "receiver 'team' is defined twice") in problems
    assert any(line == 5 and "http://" in m for line, m in problems), text
    assert any(line == 8 and "spend.over" in m for line, m in problems), text
    assert any(line == 8 and "spend.per must be one of day, week, month" in m
               for line, m in problems), text
    assert any(line == 9 and "no receiver named 'nobody'" in m for line, m in problems), text
    assert any(line == 11 and "6x" in m for line, m in problems), text
    assert any(line == 12 and "'blok'" in m for line, m in problems), text
    assert any(line == 14 and "fraction" in m for line, m in problems), text
    assert any(line == 15 and "block: true needs a spend or limit rule" in m
               for line, m in problems), text
    assert any(line == 16 and "exactly one of" in m for line, m in problems), text
    assert any(line == 18 and "percentage" in m for line, m in problems), text
    assert any(line == 19 and "rule name" in m for line, m in problems), text
    assert any(line == 20 and "silence.by" in m for line, m in problems), text
    assert any(line == 21 and "'soon' is not a duration" in m for line, m in problems), text
    assert lines <= set(range(1, 22))


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("rules: [\n  {name: a\n", 3, "not valid YAML"),
    ("- a\n- b\n", 1, "must be a mapping"),
    ("rules:\n  - name: a\n    spend: {over: 1, per: day, by: [user]}\n", 3, "must be a single"),
    ("rules:\n  - &r {name: a, spend: {over: 1, per: day}}\n  - *r\n", 3, "aliases"),
    ("rules:\n  - name: a\n    spend: {over: .nan, per: day}\n", 3, "must be a number"),
    ("rules:\n  - name: a\n    spend: {over: 1e13, per: day}\n", 3, "below 10^12"),
    ("rules:\n  - name: a\n    spend: {over: true, per: day}\n", 3, "must be a number"),
    ("rules:\n  - name: a\n    silence: {by: user, after: 7d, seen_within: 1d}\n", 3,
     "longer than"),
    ("rules:\n  - name: a\n    limit: {plan: seven_day}\n", 3, "used_over"),
    ("rules:\n  - name: a\n    spend: {over: 1, per: day}\n    block: yes please\n", 4,
     "true or false"),
    ("unknown: 1\n", 1, "unknown key 'unknown'"),
    ("rules:\n  - name: a\n    limit: {plan: weekly, runs_out: true}\n", 3,
     "limit.plan must be one of five_hour, seven_day"),
    ("attributes:\n  team: 'a\"b'\n", 2, "an attribute key is"),
    ("receivers:\n  - name: chat\n    apprise: [ntfy://ok, 'slakc://T/B/C']\n", 3,
     "Apprise cannot use slakc://"),
])
def test_bad_input_is_one_clear_line(text: str, line: int, fragment: str) -> None:
    problems = _problems(text)
    assert any(p_line == line and fragment in m for p_line, m in problems), problems


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    problems = _problems("\n".join(lines) + "\n")
    assert problems and len(problems) < 50


def test_empty_file_means_no_rules() -> None:
    assert parse("").rules == () and parse("# nothing yet\n").receivers == ()


def test_load_reports_unreadable_huge_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(RulesError, match="larger than"):
        load(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00rules")
    with pytest.raises(RulesError, match="not UTF-8") as info:
        load(binary)
    assert str(info.value).startswith(f"{binary}: ")

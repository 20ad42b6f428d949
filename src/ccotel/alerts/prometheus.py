"""The rules file as Prometheus alerting rules and an Alertmanager config, for the compose
stack (`ccotel stack init --alerts FILE`).

Prometheus has no calendar, so a spend rule's `per: day|week|month` is the last 24 hours,
7 days or 30 days there (ccotel serve counts calendar periods in UTC). Sums use the stack's
exact window (`stack.queries.window`: the value now minus the value `per` ago, or the whole
value of a series that is newer), never `increase()`, which extrapolates and misses a
session's first export. Limit rules need ccotel's limits ledger, and Apprise receivers need
ccotel serve's sender: neither is in the stack; the generated files say so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml

from ccotel.alerts.rules import AlertRules, Limit, Rule, Silence, Spend, Spike
from ccotel.claude.exposition import label_name
from ccotel.stack.queries import API_ERRORS, API_REQUESTS, COST, TOKENS, window

# Event counters the collector's count connector makes (and ccotel serve exposes).
RETRIES_EXHAUSTED = "claude_code_api_retries_exhausted_count_total"
REFUSALS = "claude_code_api_refusal_count_total"
PERIOD_RANGE = {"day": "1d", "week": "7d", "month": "30d"}
PERIOD_WORDS = {"day": "24 hours", "week": "7 days", "month": "30 days"}
RULE_LABEL = "ccotel_rule"
NO_RECEIVER = "ccotel-none"
GROUP_WAIT = "10s"
GROUP_INTERVAL = "1m"


def _range(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _sum(expr: str, label: str | None) -> str:
    return f"sum by ({label}) ({expr})" if label else f"sum({expr})"


def _spend_label(c: Spend, rules: AlertRules) -> str | None:
    if c.by in ("team", "repo"):
        return label_name(rules.attributes[c.by])
    return {"total": None, "user": "user_id", "model": "model"}[c.by]


def expression(rule: Rule, rules: AlertRules) -> str | None:
    """The PromQL of `rule`, or None when the stack cannot evaluate it."""
    c = rule.condition
    if isinstance(c, Spend):
        label = _spend_label(c, rules)
        return f"{_sum(window(COST, '', PERIOD_RANGE[c.per]), label)} > {c.over}"
    if isinstance(c, Spike):
        label = "user_id" if c.by == "user" else None
        rng = _range(c.window)
        if c.of == "error_rate":
            errors = _sum(window(API_ERRORS, "", rng), label)
            requests = _sum(window(API_REQUESTS, "", rng), label)
            return f"({errors} / ({requests} > 0)) > {c.over:g}"
        metric = RETRIES_EXHAUSTED if c.of == "retries_exhausted" else REFUSALS
        return f"{_sum(window(metric, '', rng), label)} > {c.over:g}"
    if isinstance(c, Silence):
        label = "user_id" if c.by == "user" else label_name(rules.attributes["machine"])
        after, seen = _range(c.after), _range(c.seen_within)
        m = f"{TOKENS}{{{label}!=\"\"}}"
        # Sent within `after`: a series that grew, or one that did not exist before it
        # (Claude Code starts a series per session).
        active = (f"(max_over_time({m}[{after}]) - min_over_time({m}[{after}]) > 0) or "
                  f"(max_over_time({m}[{after}]) unless max_over_time({m}[{seen}] offset {after}))")
        return (f"group by ({label}) (max_over_time({m}[{seen}])) "
                f"unless on ({label}) group by ({label}) ({active})")
    assert isinstance(c, Limit)
    return None


def _annotation(rule: Rule, rules: AlertRules) -> str:
    c = rule.condition
    if isinstance(c, Spend):
        label = _spend_label(c, rules)
        who = f" of {c.by} {{{{ $labels.{label} }}}}" if label else ""
        return (f"Claude Code spend{who}: ${{{{ $value | printf \"%.2f\" }}}} in the last "
                f"{PERIOD_WORDS[c.per]} (budget ${c.over})")
    if isinstance(c, Spike):
        return f"{c.of.replace('_', ' ')} {{{{ $value }}}} in the last {_range(c.window)} " \
               f"(threshold {c.over:g})"
    assert isinstance(c, Silence)
    return (f"no Claude Code telemetry for {_range(c.after)} from a {c.by} seen in the last "
            f"{_range(c.seen_within)}")


def skipped(rules: AlertRules) -> list[str]:
    """Names of the rules the stack cannot evaluate (limit rules)."""
    return [r.name for r in rules.rules if expression(r, rules) is None]


def rules_file(rules: AlertRules, source: str) -> str:
    """`alerts.rules.yml`: one Prometheus alerting rule per rule of the file."""
    out: list[dict[str, Any]] = []
    for rule in rules.rules:
        expr = expression(rule, rules)
        if expr is None:
            continue
        entry: dict[str, Any] = {"alert": rule.name, "expr": expr}
        if rule.for_:
            entry["for"] = _range(rule.for_)
        entry["labels"] = {"severity": rule.severity, RULE_LABEL: rule.name}
        entry["annotations"] = {"summary": rule.summary or _annotation(rule, rules)}
        out.append(entry)
    head = (f"# Generated by `ccotel stack init --alerts` from {source}.\n"
            "# Edit the rules file and run it again rather than this file.\n"
            "# per: day|week|month is the last 24h, 7d or 30d here (Prometheus has no calendar).\n")
    if skipped(rules):
        head += ("# Not here (they need ccotel serve's limits ledger): "
                 f"{', '.join(skipped(rules))}\n")
    return head + yaml.safe_dump({"groups": [{"name": "ccotel-alerts", "rules": out}]},
                                 sort_keys=False, width=1000)


def alertmanager_file(rules: AlertRules, source: str) -> str:
    """`alertmanager.yml`: a route per rule and receiver (with the rule's repeat interval),
    webhook receivers with the same URLs. Alerts are grouped by all their labels: each user
    over a budget is a notification of its own."""
    routes: list[dict[str, Any]] = []
    for rule in rules.rules:
        if expression(rule, rules) is None:
            continue
        for name in rule.notify:
            if rules.receiver(name).webhook:
                routes.append({"receiver": name, "matchers": [f'{RULE_LABEL}="{rule.name}"'],
                               "repeat_interval": _range(rule.repeat), "continue": True})
    receivers: list[dict[str, Any]] = [{"name": NO_RECEIVER}]
    for r in rules.receivers:
        if r.webhook:
            receivers.append({"name": r.name, "webhook_configs": [
                {"url": r.webhook, "send_resolved": True}]})
    apprise_only = [r.name for r in rules.receivers if not r.webhook]
    head = (f"# Generated by `ccotel stack init --alerts` from {source}.\n"
            "# Inside the stack 127.0.0.1 is the Alertmanager container itself: a receiver on\n"
            "# this machine is host.docker.internal.\n")
    if apprise_only:
        head += ("# Apprise receivers are sent by ccotel serve only: "
                 f"{', '.join(apprise_only)}\n")
    config = {"route": {"receiver": NO_RECEIVER, "group_by": ["..."],
                        "group_wait": GROUP_WAIT, "group_interval": GROUP_INTERVAL,
                        "routes": routes},
              "receivers": receivers}
    return head + yaml.safe_dump(config, sort_keys=False, width=1000)

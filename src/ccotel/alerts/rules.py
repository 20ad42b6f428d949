"""The alert rules file: its format, and a validator whose every error names its line.

One file serves `ccotel serve --alerts FILE` and `ccotel stack init --alerts FILE`:

    attributes:            # optional: which resource attributes name a team, repo, machine
      team: team.id
    receivers:
      - name: team
        webhook: http://127.0.0.1:9099/hook      # generic JSON body
      - name: chat
        apprise: [slack://T/B/C, ntfy://topic]   # any Apprise URL
    rules:
      - name: daily-budget
        spend: {over: 0.01, per: day, by: user}  # per day|week|month; by total|user|team|repo|model
        notify: [team]
        block: true                              # the prompt hook stops the user's prompts
      - name: weekly-plan
        limit: {plan: seven_day, used_over: 80}  # or runs_out: true (projected before reset)
      - name: errors
        spike: {of: error_rate, over: 0.2, window: 15m}   # retries_exhausted|refusals: counts
        for: 5m
      - name: quiet-machines
        silence: {by: machine, after: 6h, seen_within: 7d}

A rule has exactly one kind (spend, limit, spike, silence). YAML anchors/aliases are
refused (they let a small file expand into a huge one); so are unknown keys, which are
usually typos that would otherwise silently disable a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml

from ccotel.query import BadQuery, parse_duration

MAX_BYTES = 1 << 20
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ATTRIBUTE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
PERIODS = ("day", "week", "month")
SPEND_BY = ("total", "user", "team", "repo", "model")
PLANS = ("five_hour", "seven_day")  # the plan windows of the limits ledger
SPIKE_OF = ("error_rate", "retries_exhausted", "refusals")
SPIKE_BY = ("total", "user")
SILENCE_BY = ("user", "machine")
SEVERITIES = ("info", "warning", "critical")
DEFAULT_ATTRIBUTES = {"team": "team.id", "repo": "repo", "machine": "host.name"}
DEFAULT_REPEAT = timedelta(hours=4)


@dataclass(frozen=True)
class Problem:
    line: int          # 1-based; 0 = the file as a whole
    message: str

    def at(self, source: str) -> str:
        return f"{source}:{self.line}: {self.message}" if self.line else f"{source}: {self.message}"


class RulesError(ValueError):
    """The file is not a valid rules file; `problems` says where and why."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(p.at(source) for p in self.problems))


@dataclass(frozen=True)
class Receiver:
    name: str
    webhook: str | None = None
    apprise: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spend:
    """Cost (USD, exact) over `over` in the current calendar `per` (UTC), per `by`."""

    over: Decimal
    per: Literal["day", "week", "month"]
    by: Literal["total", "user", "team", "repo", "model"] = "total"
    kind: str = field(default="spend", init=False)


@dataclass(frozen=True)
class Limit:
    """A plan window of the limits ledger (`five_hour`, `seven_day`): used over
    `used_over` percent, or projected to run out before its reset (`runs_out`)."""

    plan: str
    used_over: float | None = None
    runs_out: bool = False
    kind: str = field(default="limit", init=False)


@dataclass(frozen=True)
class Spike:
    """`error_rate` (api errors / api requests, 0-1) or a count of `retries_exhausted` /
    `refusals` events over `over` within the last `window`."""

    of: Literal["error_rate", "retries_exhausted", "refusals"]
    over: float
    window: timedelta
    by: Literal["total", "user"] = "total"
    kind: str = field(default="spike", init=False)


@dataclass(frozen=True)
class Silence:
    """A user or machine seen within `seen_within` that has sent nothing for `after`."""

    by: Literal["user", "machine"]
    after: timedelta
    seen_within: timedelta = timedelta(days=7)
    kind: str = field(default="silence", init=False)


Condition = Spend | Limit | Spike | Silence


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    notify: tuple[str, ...] = ()
    for_: timedelta = timedelta(0)
    repeat: timedelta = DEFAULT_REPEAT
    block: bool = False
    severity: str = "warning"
    summary: str = ""

    @property
    def kind(self) -> str:
        return self.condition.kind


@dataclass(frozen=True)
class AlertRules:
    receivers: tuple[Receiver, ...] = ()
    rules: tuple[Rule, ...] = ()
    attributes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES))

    def receiver(self, name: str) -> Receiver:
        return next(r for r in self.receivers if r.name == name)


def format_duration(td: timedelta) -> str:
    """A whole duration as the file writes it (and Prometheus reads it): 90s, 15m, 6h, 7d."""
    seconds = int(td.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# -- reading ---------------------------------------------------------------------------------

def load(path: Path) -> AlertRules:
    """Read and validate `path`; RulesError (line-numbered) when anything is wrong."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RulesError(str(path), [Problem(0, f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise RulesError(str(path), [Problem(0, f"larger than {MAX_BYTES} bytes")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesError(str(path), [Problem(0, f"not UTF-8 text ({exc.reason})")]) from None
    return parse(text, str(path))


def parse(text: str, source: str = "<rules>") -> AlertRules:
    """Validate rules text; RulesError lists every problem found, each with its line."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise RulesError(source, [Problem(
                    event.start_mark.line + 1 if event.start_mark else 0,
                    "anchors and aliases (*name) are not allowed in a rules file")])
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise RulesError(source, [Problem(line, f"not valid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise RulesError(source, [Problem(0, f"not valid YAML: {exc}")]) from None
    v = _Validator()
    result = v.document(root)
    if v.problems:
        raise RulesError(source, v.problems)
    assert result is not None
    return result


def _apprise_understands(url: str) -> bool:
    """Whether Apprise itself parses `url` (a known service, its required parts present)."""
    import logging

    import apprise  # here: loading its plugins takes most of a second

    quiet = logging.getLogger("apprise")
    level, quiet.level = quiet.level, logging.CRITICAL  # its own complaint is ours to word
    try:
        return bool(apprise.Apprise().add(url))
    finally:
        quiet.setLevel(level)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Validator:
    """Walks the composed YAML nodes (which keep their lines), collecting problems. There
    are no aliases (refused before), so every node is visited once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def err(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(_line(node), message))

    # -- node helpers
    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...]
                ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.err(node, f"{what} must be a mapping (key: value)")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key not in allowed:
                self.err(k, f"unknown key {str(key)[:40]!r} in {what}: use "
                            f"{', '.join(allowed)}")
            elif key in out:
                self.err(k, f"{key!r} appears twice in {what}")
            else:
                out[key] = (k, v)
        return out

    def scalar(self, node: yaml.Node, what: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.err(node, f"{what} must be a single value")
            return None
        try:
            return yaml.SafeLoader("").construct_object(node)
        except yaml.YAMLError:
            self.err(node, f"{what}: cannot read {node.value[:40]!r}")
            return None

    def string(self, node: yaml.Node, what: str, choices: tuple[str, ...] = ()) -> str | None:
        value = self.scalar(node, what)
        if value is None and not isinstance(node, yaml.ScalarNode):
            return None
        if not isinstance(value, str) or not value:
            self.err(node, f"{what} must be text")
            return None
        if choices and value not in choices:
            self.err(node, f"{what} must be one of {', '.join(choices)}, not {value[:40]!r}")
            return None
        return value

    def name(self, node: yaml.Node, what: str) -> str | None:
        value = self.string(node, what)
        if value is not None and not NAME.fullmatch(value):
            self.err(node, f"{what} {value[:40]!r}: use letters, digits, '_', '.', '-' "
                           "(at most 64, starting with a letter or digit)")
            return None
        return value

    def number(self, node: yaml.Node, what: str, *, positive: bool = True) -> Decimal | None:
        value = self.scalar(node, what)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            if isinstance(node, yaml.ScalarNode):
                self.err(node, f"{what} must be a number")
            return None
        try:
            d = Decimal(node.value.strip())
        except InvalidOperation:
            self.err(node, f"{what} must be a number, not {node.value[:40]!r}")
            return None
        if not d.is_finite() or (positive and d <= 0) or d < 0 or d > Decimal(10) ** 12:
            self.err(node, f"{what} must be a {'positive ' if positive else ''}finite number "
                           "below 10^12")
            return None
        return d

    def duration(self, node: yaml.Node, what: str, *, zero: bool = False) -> timedelta | None:
        value = self.scalar(node, what)
        if isinstance(value, int) and not isinstance(value, bool) and value == 0 and zero:
            return timedelta(0)
        if not isinstance(value, str):
            if isinstance(node, yaml.ScalarNode):
                self.err(node, f"{what} must be a duration such as 90s, 15m, 6h, 7d")
            return None
        try:
            d = parse_duration(value.strip())
        except BadQuery:
            self.err(node, f"{what} {value[:40]!r} is not a duration: use e.g. 90s, 15m, 6h, 7d")
            return None
        if (d <= timedelta(0) and not zero) or d > timedelta(days=400):
            self.err(node, f"{what} must be {'0 or more' if zero else 'more than 0'} "
                           "and at most 400d")
            return None
        return d

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        value = self.scalar(node, what)
        if not isinstance(value, bool):
            if isinstance(node, yaml.ScalarNode):
                self.err(node, f"{what} must be true or false")
            return None
        return value

    def sequence(self, node: yaml.Node, what: str, *, scalar_ok: bool = False
                 ) -> list[yaml.Node] | None:
        if isinstance(node, yaml.ScalarNode) and scalar_ok:
            return [node]
        if not isinstance(node, yaml.SequenceNode):
            self.err(node, f"{what} must be a list")
            return None
        return list(node.value)

    # -- the document
    def document(self, root: yaml.Node | None) -> AlertRules | None:
        if root is None:
            return AlertRules()
        top = self.mapping(root, "the rules file", ("attributes", "receivers", "rules"))
        if top is None:
            return None
        attributes = dict(DEFAULT_ATTRIBUTES)
        if "attributes" in top:
            m = self.mapping(top["attributes"][1], "attributes", tuple(DEFAULT_ATTRIBUTES))
            for key, (_, v) in (m or {}).items():
                value = self.string(v, f"attributes.{key}")
                if value is not None and not ATTRIBUTE.fullmatch(value):
                    self.err(v, f"attributes.{key} {value[:40]!r}: an attribute key is "
                                "letters, digits, '_', '.', '-' (at most 128)")
                elif value is not None:
                    attributes[key] = value
        receivers: list[Receiver] = []
        for node in (self.sequence(top["receivers"][1], "receivers") or []
                     if "receivers" in top else []):
            r = self.receiver(node)
            if r is None:
                continue
            if any(x.name == r.name for x in receivers):
                self.err(node, f"receiver {r.name!r} is defined twice")
            receivers.append(r)
        names = {r.name for r in receivers}
        rules: list[Rule] = []
        for node in (self.sequence(top["rules"][1], "rules") or [] if "rules" in top else []):
            rule = self.rule(node, names)
            if rule is None:
                continue
            if any(x.name == rule.name for x in rules):
                self.err(node, f"rule {rule.name!r} is defined twice")
            rules.append(rule)
        return AlertRules(tuple(receivers), tuple(rules), attributes)

    def receiver(self, node: yaml.Node) -> Receiver | None:
        m = self.mapping(node, "a receiver", ("name", "webhook", "apprise"))
        if m is None:
            return None
        if "name" not in m:
            self.err(node, "a receiver needs a name")
            return None
        name = self.name(m["name"][1], "receiver name")
        webhook = None
        if "webhook" in m:
            n = m["webhook"][1]
            webhook = self.string(n, "webhook")
            if webhook is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", webhook):
                self.err(n, f"webhook {webhook[:60]!r} must be an http:// or https:// URL")
                webhook = None
        urls: list[str] = []
        if "apprise" in m:
            for n in self.sequence(m["apprise"][1], "apprise", scalar_ok=True) or []:
                url = self.string(n, "apprise URL")
                if url is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://\S*", url):
                    self.err(n, f"apprise URL {url[:60]!r} must look like service://...")
                elif url is not None and not _apprise_understands(url):
                    self.err(n, f"apprise URL: Apprise cannot use {url.split('://')[0][:30]}"
                                "://... as written (see its list of services and their URLs)")
                elif url is not None:
                    urls.append(url)
        if "webhook" not in m and "apprise" not in m:
            self.err(node, "a receiver needs a webhook URL or apprise URLs")
        if name is None:
            return None
        return Receiver(name, webhook, tuple(urls))

    def rule(self, node: yaml.Node, receivers: set[str]) -> Rule | None:
        kinds = {"spend": self.spend, "limit": self.limit, "spike": self.spike,
                 "silence": self.silence}
        m = self.mapping(node, "a rule", ("name", *kinds, "for", "repeat", "notify", "block",
                                          "severity", "summary"))
        if m is None:
            return None
        if "name" not in m:
            self.err(node, "a rule needs a name")
        name = self.name(m["name"][1], "rule name") if "name" in m else None
        present = [k for k in kinds if k in m]
        if len(present) != 1:
            self.err(node, "a rule needs exactly one of spend, limit, spike, silence"
                           + (f" (found {', '.join(present)})" if present else ""))
        conditions = [kinds[k](m[k][1]) for k in present]  # each checked, for its errors
        condition = conditions[0] if len(conditions) == 1 else None
        extra: dict[str, Any] = {}
        if "for" in m:
            extra["for_"] = self.duration(m["for"][1], "for", zero=True)
        if "repeat" in m:
            extra["repeat"] = self.duration(m["repeat"][1], "repeat")
        if "severity" in m:
            extra["severity"] = self.string(m["severity"][1], "severity", SEVERITIES)
        if "summary" in m:
            extra["summary"] = self.string(m["summary"][1], "summary")
        if "block" in m:
            block = self.boolean(m["block"][1], "block")
            if block and present and present[0] not in ("spend", "limit"):
                self.err(m["block"][1], "block: true needs a spend or limit rule "
                                        "(it stops the prompts of whoever is over it)")
            extra["block"] = block
        notify: list[str] = []
        if "notify" in m:
            for n in self.sequence(m["notify"][1], "notify", scalar_ok=True) or []:
                r = self.string(n, "notify")
                if r is not None and r not in receivers:
                    self.err(n, f"notify: no receiver named {r[:40]!r}"
                                + (f" (receivers: {', '.join(sorted(receivers))})"
                                   if receivers else " (the file defines no receivers)"))
                elif r is not None:
                    notify.append(r)
        if name is None or condition is None or any(v is None for v in extra.values()):
            return None
        return Rule(name, condition, tuple(notify), **extra)

    def spend(self, node: yaml.Node) -> Spend | None:
        m = self.mapping(node, "spend", ("over", "per", "by"))
        if m is None:
            return None
        for key in ("over", "per"):
            if key not in m:
                self.err(node, f"spend needs {key!r}")
        over = self.number(m["over"][1], "spend.over") if "over" in m else None
        per = self.string(m["per"][1], "spend.per", PERIODS) if "per" in m else None
        by = self.string(m["by"][1], "spend.by", SPEND_BY) if "by" in m else "total"
        if over is None or per is None or by is None:
            return None
        return Spend(over, per, by)  # type: ignore[arg-type]

    def limit(self, node: yaml.Node) -> Limit | None:
        m = self.mapping(node, "limit", ("plan", "used_over", "runs_out"))
        if m is None:
            return None
        if "plan" not in m:
            self.err(node, f"limit needs 'plan': {' or '.join(PLANS)}")
        plan = self.string(m["plan"][1], "limit.plan", PLANS) if "plan" in m else None
        used = None
        if "used_over" in m:
            used = self.number(m["used_over"][1], "limit.used_over")
            if used is not None and used > 100:
                self.err(m["used_over"][1], "limit.used_over is a percentage: 0-100")
                used = None
        runs_out = self.boolean(m["runs_out"][1], "limit.runs_out") if "runs_out" in m else False
        if "used_over" not in m and not runs_out:
            self.err(node, "limit needs used_over: PERCENT or runs_out: true")
            return None
        if plan is None or runs_out is None or ("used_over" in m and used is None):
            return None
        return Limit(plan, float(used) if used is not None else None, runs_out)

    def spike(self, node: yaml.Node) -> Spike | None:
        m = self.mapping(node, "spike", ("of", "over", "window", "by"))
        if m is None:
            return None
        for key in ("of", "over", "window"):
            if key not in m:
                self.err(node, f"spike needs {key!r}")
        of = self.string(m["of"][1], "spike.of", SPIKE_OF) if "of" in m else None
        over = self.number(m["over"][1], "spike.over", positive=False) if "over" in m else None
        if of == "error_rate" and over is not None and over >= 1:
            self.err(m["over"][1], "spike.over for error_rate is a fraction below 1 (0.2 = 20%)")
            over = None
        window = self.duration(m["window"][1], "spike.window") if "window" in m else None
        by = self.string(m["by"][1], "spike.by", SPIKE_BY) if "by" in m else "total"
        if of is None or over is None or window is None or by is None:
            return None
        return Spike(of, float(over), window, by)  # type: ignore[arg-type]

    def silence(self, node: yaml.Node) -> Silence | None:
        m = self.mapping(node, "silence", ("by", "after", "seen_within"))
        if m is None:
            return None
        for key in ("by", "after"):
            if key not in m:
                self.err(node, f"silence needs {key!r}")
        by = self.string(m["by"][1], "silence.by", SILENCE_BY) if "by" in m else None
        after = self.duration(m["after"][1], "silence.after") if "after" in m else None
        within = (self.duration(m["seen_within"][1], "silence.seen_within")
                  if "seen_within" in m else timedelta(days=7))
        if by is None or after is None or within is None:
            return None
        if within <= after:
            self.err(m["seen_within"][1] if "seen_within" in m else node,
                     "silence.seen_within must be longer than silence.after")
            return None
        return Silence(by, after, within)  # type: ignore[arg-type]

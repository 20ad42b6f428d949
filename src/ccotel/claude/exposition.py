"""Claude Code's metrics in Prometheus text format, as the compose stack's collector shows them.

`ccotel serve` answers `GET /metrics/claude-code` on its metrics port
(`web/claude_metrics.py`) with the same names and labels as the OpenTelemetry Collector
0.96 `prometheus` exporter configured by `ccotel stack init` (suffixes on,
`resource_to_telemetry_conversion` on), so one Grafana dashboard works on either. Scrape
it with `honor_labels: true`, as the stack does, so that `job="claude-code"` stays `job`
instead of becoming `exported_job`.

Values are exact running totals: each series is the sum of the deltas stored for it (the
store keeps every sum as deltas, whatever the temporality Claude Code used), and the event
counters (`claude_code_api_request_count_total`, ...) count stored events, as the collector's
`count` connector does. Series never expire while the store holds their rows.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import defaultdict
from typing import Any

import duckdb

from ccotel.claude import catalogue
from ccotel.claude.catalogue import EVENT_COUNTER_DEFAULT, EVENT_COUNTERS
from ccotel.store import queries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The collector's unit -> suffix table (pkg/translator/prometheus), the entries that matter.
_UNITS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes",
    "MiBy": "mebibytes", "GiBy": "gibibytes", "KBy": "kilobytes", "MBy": "megabytes",
    "GBy": "gigabytes", "%": "percent", "Hz": "hertz", "V": "volts", "A": "amperes",
    "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius", "m": "meters",
}
_PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week",
              "mo": "month", "y": "year"}
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_BAD_LABEL_CHAR = re.compile(r"[^0-9A-Za-z_]")

# Hot columns of `points` -> the attribute they came from (first name wins: `tool` is the
# older spelling of `tool_name` and comes back as `tool_name`).
_POINT_ATTRS: dict[str, str] = {}
for _attr, _col in catalogue.POINT_COLUMNS.items():
    _POINT_ATTRS.setdefault(_col, _attr)

# A scrape sums deltas per series (exposition_totals.sql); the labels of a series never
# change (series_key digests them), so they are read once per new series and cached
# (bench/exposition_bench.py measures both).
_EVENT_NAMES = [event for event, _ in EVENT_COUNTERS.values()]
_EVENT_COLUMNS = {"user.id": "user_id", "session.id": "session_id", "model": "model",
                  "tool_name": "tool_name", "success": "success"}


def metric_name(name: str, unit: str | None, *, monotonic: bool = True) -> str:
    """The collector 0.96 prometheus exporter's name (`add_metric_suffixes` on)."""
    tokens = [t for t in _NON_ALNUM.split(name) if t]
    unit = (unit or "").strip()
    main, _, per = unit.partition("/")
    main, per = main.strip(), per.strip()
    if main and "{" not in main:
        suffix = "_".join(t for t in _NON_ALNUM.split(_UNITS.get(main, main)) if t)
        if suffix and suffix not in tokens:
            tokens.append(suffix)
    if per and "{" not in per:
        suffix = "_".join(t for t in _NON_ALNUM.split(_PER_UNITS.get(per, per)) if t)
        if suffix and ("per_" + suffix) not in "_".join(tokens):
            tokens += ["per", suffix]
    if monotonic:
        tokens = [t for t in tokens if t != "total"] + ["total"]
    out = "_".join(tokens)
    return "_" + out if out[:1].isdigit() else out


def label_name(key: str) -> str:
    """Attribute key -> label name, as the collector's exporter normalises it
    (pkg/translator/prometheus NormalizeLabel): every character but an ASCII letter, digit
    or `_` becomes `_` (`session.id` -> `session_id`), a leading digit gets `key_`, a
    leading `_` gets `key`. The collector lets `__x` through, but Prometheus reserves that
    prefix (`__name__` would name the series a second time and fail the whole scrape), so
    it gets `key` as well. An empty key stays empty: `_labels` drops it."""
    if not key:
        return ""
    out = _BAD_LABEL_CHAR.sub("_", key)
    if out[0] in "0123456789":
        return "key_" + out
    if out[0] == "_":
        return "key" + out
    return out


def label_value(value: Any) -> str:
    """pcommon.Value.AsString(): bools lower case, integral numbers without '.0'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _labels(attrs: dict[str, Any], resource: dict[str, Any]) -> str:
    """The rendered label set of one series: `k="v",...`, sorted by name."""
    values: dict[str, str] = {}
    # resource_to_telemetry_conversion: resource attributes first, the point's own win.
    for source in (resource, attrs):
        for key, value in source.items():
            if value is not None:
                values[key] = label_value(value)
    labels: dict[str, str] = {}
    # Keys that normalise to one name are merged as the collector merges them: values
    # joined by `;` in the order of the original keys. An empty name is dropped.
    for key in sorted(values):
        label = label_name(key)
        if label:
            labels[label] = (f"{labels[label]};{values[key]}" if label in labels
                             else values[key])
    name = resource.get("service.name")
    if isinstance(name, str) and name:
        ns = resource.get("service.namespace")
        labels["job"] = f"{ns}/{name}" if isinstance(ns, str) and ns else name
    instance = resource.get("service.instance.id")
    if isinstance(instance, str) and instance:
        labels["instance"] = instance
    return ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))


def _json(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# A series is keyed by its rendered label set (`k="v",...`, sorted): equal label sets add up.
Family = dict[str, float]


class Exposition:
    """Renders the exposition; caches each series' name and labels between scrapes."""

    def __init__(self, max_cached: int = 500_000) -> None:
        self.max_cached = max_cached
        self._series: dict[str, tuple[str, str, str]] = {}
        self._events: dict[tuple[Any, ...], tuple[str, str, str]] = {}
        self._lock = threading.Lock()  # scrapes may overlap; the caches are shared

    def collect(self, con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, Family]]:
        """name -> (help, {labels: value}) for every counter ccotel exposes."""
        if len(self._series) + len(self._events) > self.max_cached:
            self._series.clear()  # bounded memory; the next scrape re-reads the labels
            self._events.clear()
        families: dict[str, tuple[str, Family]] = {}

        def add(meta: tuple[str, str, str], value: float) -> None:
            name, help_text, labels = meta
            _, series = families.setdefault(name, (help_text, defaultdict(float)))
            series[labels] += value

        totals = queries.run(con, "exposition_totals").fetchall()
        missing = [key for key, _ in totals if key not in self._series]
        if missing:
            self._load_series(con, missing)
        for key, value in totals:
            meta = self._series.get(key)
            if meta is not None:  # None: rows deleted (retention) between the two reads
                add(meta, float(value))

        for row in queries.run(con, "exposition_events", events=_EVENT_NAMES).fetchall():
            *group, n = row
            key = tuple(group)
            meta = self._events.get(key)
            if meta is None:
                meta = self._events[key] = _event_meta(dict(zip(_EVENT_GROUP, group, strict=True)))
            add(meta, float(n))
        return families

    def _load_series(self, con: duckdb.DuckDBPyConnection, keys: list[str]) -> None:
        for r in queries.rows(con, "exposition_labels", keys=keys):
            attrs = _json(r["attributes"])
            for col, attr in _POINT_ATTRS.items():
                if r[col] is not None:
                    attrs[attr] = r[col]
            self._series[r["series_key"]] = (
                metric_name(r["metric_name"], r["unit"]), r["description"] or "",
                _labels(attrs, _json(r["resource"])))

    def render(self, con: duckdb.DuckDBPyConnection) -> str:
        """The exposition text (format 0.0.4), families and series in a stable order."""
        lines: list[str] = []
        with self._lock:
            families = self.collect(con)
        for name, (help_text, series) in sorted(families.items()):
            help_line = help_text.replace("\\", "\\\\").replace("\n", "\\n")
            lines.append(f"# HELP {name} {help_line}".rstrip())
            lines.append(f"# TYPE {name} counter")
            for body, value in sorted(series.items()):
                lines.append(f"{name}{{{body}}} {_number(value)}" if body
                             else f"{name} {_number(value)}")
        return "\n".join(lines) + "\n" if lines else ""


_EVENT_GROUP = ("event_name", "user_id", "session_id", "model", "tool_name", "success",
                "resource")
_BY_EVENT = {event: (otlp_name, keys) for otlp_name, (event, keys) in EVENT_COUNTERS.items()}


def _event_meta(r: dict[str, Any]) -> tuple[str, str, str]:
    otlp_name, keys = _BY_EVENT[r["event_name"]]
    attrs = {k: (r[_EVENT_COLUMNS[k]] if r[_EVENT_COLUMNS[k]] is not None
                 else EVENT_COUNTER_DEFAULT) for k in keys}
    return (metric_name(otlp_name, None), f"{r['event_name']} events (count connector)",
            _labels(attrs, _json(r["resource"])))


def render(con: duckdb.DuckDBPyConnection) -> str:
    """One-off rendering (tests, tools); the server keeps an `Exposition` for its cache."""
    return Exposition().render(con)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)

"""OTLP/JSON log requests -> the Loki push the stack's collector would send.

The generated collector (otelcol-contrib 0.96) runs every log record through
`resource/loki-labels` and `attributes/loki-labels` (the hints `loki.resource.labels:
service.name`, `loki.attribute.labels: event.name`) into the `loki` exporter, whose
translator (`pkg/translator/loki`, 0.96: `LogToLokiEntry`, `convertAttributesAndMerge`,
`removeAttributes`, `Encode`) makes each record one line of a stream:

- labels: `exporter="OTLP"`; `job` = `service.namespace/service.name` (or `service.name`);
  `instance` = `service.instance.id`; `level` from a set severity number; every hinted
  attribute, its name normalised as a Prometheus label (`event.name` -> `event_name`);
- the hinted attributes and the hints themselves leave the record and the resource;
- the line: Go's `json.Marshal` of `{body, traceid, spanid, severity, flags, attributes,
  resources, instrumentation_scope}` (empty fields omitted, map keys sorted, `<>&` escaped);
- the timestamp: the record's time, else its observed time.

The exporter sends this as snappy protobuf; the test pushes the same streams as JSON, which
Loki stores identically. Kept here, next to the test, as a reading of those sources.
"""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from typing import Any

RESOURCE_HINT = "service.name"     # resource/loki-labels in otel-collector-config.yaml
ATTRIBUTE_HINT = "event.name"      # attributes/loki-labels
HINT_KEYS = ("loki.attribute.labels", "loki.resource.labels", "loki.tenant", "loki.format")
LEVELS = {1: "TRACE", 2: "TRACE2", 3: "TRACE3", 4: "TRACE4", 5: "DEBUG", 6: "DEBUG2",
          7: "DEBUG3", 8: "DEBUG4", 9: "INFO", 10: "INFO2", 11: "INFO3", 12: "INFO4",
          13: "WARN", 14: "WARN2", 15: "WARN3", 16: "WARN4", 17: "ERROR", 18: "ERROR2",
          19: "ERROR3", 20: "ERROR4", 21: "FATAL", 22: "FATAL2", 23: "FATAL3", 24: "FATAL4"}


def _raw(value: dict[str, Any]) -> Any:
    """pcommon.Value.AsRaw() of an OTLP/JSON AnyValue."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [_raw(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {kv["key"]: _raw(kv.get("value", {})) for kv in
                value["kvlistValue"].get("values", [])}
    if "bytesValue" in value:
        return base64.b64encode(base64.b64decode(value["bytesValue"])).decode()
    return None


def _as_string(value: Any) -> str:
    """pcommon.Value.AsString() for the scalar values labels come from."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, (dict, list)):
        return _go_json(value)
    return str(value)


def _go_float(f: float) -> str:
    # encoding/json: shortest digits, fixed notation for 1e-6 <= |f| < 1e21, else e-notation
    # with a negative exponent's leading zero dropped (1e-07 -> 1e-7).
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    if 1e-6 <= abs(f) < 1e21:
        return format(Decimal(repr(f)), "f")
    return re.sub(r"e-0(\d)$", r"e-\1", repr(f))


def _go_json(node: Any) -> str:
    if isinstance(node, dict):
        return "{" + ",".join(f"{_go_json(k)}:{_go_json(node[k])}" for k in sorted(node)) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_go_json(v) for v in node) + "]"
    if isinstance(node, bool) or node is None:
        return json.dumps(node)
    if isinstance(node, float):
        return _go_float(node)
    if isinstance(node, int):
        return str(node)
    text = json.dumps(node, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _label_name(name: str) -> str:
    """prometheustranslator.NormalizeLabel: non-alphanumerics become `_`."""
    out = re.sub(r"[^a-zA-Z0-9_]", "_", name)
    return "key_" + out if out[:1].isdigit() else out


def _line(record: dict[str, Any], attrs: dict[str, Any], resource: dict[str, Any],
          scope: dict[str, Any]) -> str:
    parts: list[str] = []
    if record.get("body"):
        parts.append(f'"body":{_go_json(_raw(record["body"]))}')
    for key, field in (("traceid", "traceId"), ("spanid", "spanId")):
        value = record.get(field, "")
        if value and set(value) != {"0"}:
            parts.append(f'"{key}":{_go_json(value.lower())}')
    if record.get("severityText"):
        parts.append(f'"severity":{_go_json(record["severityText"])}')
    if int(record.get("flags", 0) or 0):
        parts.append(f'"flags":{int(record["flags"])}')
    if attrs:
        parts.append(f'"attributes":{_go_json(attrs)}')
    if resource:
        parts.append(f'"resources":{_go_json(resource)}')
    if scope.get("name"):
        text = f'"name":{_go_json(scope["name"])}'
        if scope.get("version"):
            text += f',"version":{_go_json(scope["version"])}'
        parts.append('"instrumentation_scope":{' + text + "}")
    return "{" + ",".join(parts) + "}"


def entry(record: dict[str, Any], resource_attrs: dict[str, Any], scope: dict[str, Any]
          ) -> tuple[dict[str, str], int, str]:
    """(labels, timestamp ns, line) of one log record, as the 0.96 exporter makes them."""
    attrs = {kv["key"]: _raw(kv.get("value", {})) for kv in record.get("attributes", [])}
    resource = dict(resource_attrs)
    resource.setdefault("loki.resource.labels", RESOURCE_HINT)     # processor action: insert
    attrs.setdefault("loki.attribute.labels", ATTRIBUTE_HINT)
    severity = int(record.get("severityNumber", 0) or 0)
    if severity:   # addLogLevelAttributeAndHint
        attrs["loki.attribute.labels"] = f'{attrs["loki.attribute.labels"]},level'
        attrs.setdefault("level", LEVELS.get(severity, ""))
    merged: dict[str, str] = {"exporter": "OTLP"}
    name = resource.get("service.name")
    if name is not None:
        ns = resource.get("service.namespace")
        merged["job"] = f"{ns}/{name}" if ns is not None else _as_string(name)
    if "service.instance.id" in resource:
        merged["instance"] = _as_string(resource["service.instance.id"])
    for hinted, source in ((resource.get("loki.resource.labels"), resource),
                           (attrs.get("loki.attribute.labels"), attrs)):
        for key in str(hinted or "").split(","):
            key = key.strip()
            if key in source:
                merged[key] = _as_string(source[key])
    for m in (attrs, resource):   # removeAttributes
        for key in list(m):
            if key in HINT_KEYS or key in merged:
                del m[key]
    ts = int(record.get("timeUnixNano", 0) or 0) or int(record.get("observedTimeUnixNano", 0))
    labels = {_label_name(k): v for k, v in merged.items()}
    return labels, ts, _line(record, attrs, resource, scope)


def push_body(otlp_logs: dict[str, Any]) -> dict[str, Any]:
    """Loki's JSON push body for one OTLP/JSON ExportLogsServiceRequest."""
    streams: dict[tuple[tuple[str, str], ...], list[list[str]]] = {}
    for rl in otlp_logs.get("resourceLogs", []):
        res = {kv["key"]: _raw(kv.get("value", {}))
               for kv in rl.get("resource", {}).get("attributes", [])}
        for sl in rl.get("scopeLogs", []):
            for record in sl.get("logRecords", []):
                labels, ts, line = entry(record, res, sl.get("scope", {}))
                streams.setdefault(tuple(sorted(labels.items())), []).append([str(ts), line])
    return {"streams": [{"stream": dict(k), "values": v} for k, v in streams.items()]}

"""Pure OTLP decoding: request bytes -> rows for the store. No I/O.

Both transports (gRPC and HTTP) call `decode_request`; everything Claude Code specific
about the rows (event names, typed attributes, hot columns) comes from `ccotel.claude.catalogue`.
"""

from __future__ import annotations

import base64
import json
import math
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import NumberDataPoint

from ccotel.claude import catalogue
from ccotel.store.rows import (
    Batch,
    Signal,
    event_key,
    series_digest_of,
    series_hasher,
    to_json,
)

Encoding = Literal["protobuf", "json"]

REQUEST_TYPES: dict[str, type[ExportLogsServiceRequest | ExportMetricsServiceRequest
                             | ExportTraceServiceRequest]] = {
    "logs": ExportLogsServiceRequest,
    "metrics": ExportMetricsServiceRequest,
    "traces": ExportTraceServiceRequest,
}


class DecodeError(ValueError):
    """The request cannot be decoded: the client gets 400 / INVALID_ARGUMENT."""


def _load_wire() -> Any:
    """The compiled wire decoder of log exports (`_wire.c`), or None: not built (no
    compiler at install), turned off (`CCOTEL_WIRE=0`), or reading fields other than the
    installed opentelemetry-proto's (then it could judge a request differently)."""
    if os.environ.get("CCOTEL_WIRE", "1") == "0":
        return None
    try:
        from ccotel.otlp import _wire  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _wire if wire_fields() == _wire.FIELDS else None


def wire_fields() -> dict[str, dict[str, tuple[int, int]]]:
    """Every message an ExportLogsServiceRequest or ExportMetricsServiceRequest holds that
    `_wire` reads, as `_wire.FIELDS` names them: field name -> (number, type), from the
    installed descriptors."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    todo = [ExportLogsServiceRequest.DESCRIPTOR, ExportMetricsServiceRequest.DESCRIPTOR]
    while todo:
        desc = todo.pop()
        if desc.full_name in out or desc.full_name.endswith(_OPAQUE):
            continue
        out[desc.full_name] = {f.name: (f.number, f.type) for f in desc.fields}
        todo.extend(f.message_type for f in desc.fields if f.message_type is not None)
    return out


# Messages `_wire` never reads (it hands their requests to upb): arrays and kvlists of
# AnyValue, a resource's entity references, exemplars, histograms and summaries.
_OPAQUE = (".ArrayValue", ".KeyValueList", ".EntityRef", ".Exemplar", ".Histogram",
           ".HistogramDataPoint", ".ExponentialHistogram", ".ExponentialHistogramDataPoint",
           ".Buckets", ".Summary", ".SummaryDataPoint", ".ValueAtQuantile")


# --- wire values -------------------------------------------------------------------------


def _clean_float(value: float) -> float | str:
    # JSON (and DuckDB's JSON type) has no NaN/Inf: keep them as text rather than fail.
    return value if math.isfinite(value) else repr(value)


def any_value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        return _clean_float(v.double_value)
    if kind == "bool_value":
        return v.bool_value
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode("ascii")
    return None


_COERCERS = catalogue.COERCERS


def _value(v: AnyValue) -> Any:
    """An attribute's value as ccotel keeps it (what `_wire` gives for the same AnyValue)."""
    val: Any = v.string_value  # most values are strings: one call fewer for them
    if not val:
        kind = v.WhichOneof("value")
        if kind == "int_value":
            val = v.int_value
        elif kind != "string_value":
            val = any_value(v)
    return val


def _pairs(kvs: Any) -> Iterator[tuple[str, Any]]:
    """upb's key/values -> (key, value) pairs, as `_wire` gives them."""
    for kv in kvs:
        yield kv.key, _value(kv.value)


def _typed(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """(key, value) pairs -> dict, typed by attribute name."""
    out: dict[str, Any] = {}
    for key, val in pairs:
        fn = _COERCERS.get(key)
        out[key] = val if fn is None else fn(val)
    return out


def attributes(kvs: Any) -> dict[str, Any]:
    """OTLP key/values -> dict, typed by attribute name."""
    return _typed(_pairs(kvs))


def _hexid(raw: bytes) -> str | None:
    return raw.hex() if raw else None


def _split(attrs: dict[str, Any], columns: dict[str, str], types: dict[str, type],
           row: dict[str, Any]) -> dict[str, Any]:
    """Move hot attributes into typed columns of `row`; return the rest (kept as JSON).
    A hot value of the wrong type (a client bug) stays in the JSON, whole."""
    extra: dict[str, Any] = {}
    for key, value in attrs.items():
        col = columns.get(key)
        if col is None or type(value) is not types[col] or col in row:
            extra[key] = value
        else:
            row[col] = value
    return extra


# (coercer or None, the type it returns as it is, column or None, the column's type,
# the column's bounds or None)
_Spec = tuple[Any, "type[Any] | None", "str | None", "type[Any] | None",
              "tuple[float, float] | None"]


def _py_split_pairs(pairs: list[tuple[str, Any]], specs: dict[str, str | _Spec],
                    row: dict[str, Any]) -> dict[str, Any]:
    """`_split(_typed(pairs), ...)` and `_bound` in one pass, for the hot path (log
    records); `specs` from `_specs`. A key that repeats stays whole: its first value in a
    column, the last in the JSON. `_wire.split_pairs` is this function in C (`_split_pairs`
    is that one when the compiled reader is in use); tests/otlp/test_wire.py holds them
    equal."""
    extra: dict[str, Any] = {}
    for key, val in pairs:
        spec = specs.get(key)
        if spec is None:
            extra[key] = val
        elif isinstance(spec, str):  # a text column, taken as sent (most hot attributes)
            if type(val) is str and spec not in row:
                row[spec] = val
            else:
                extra[key] = val
        else:
            fn, keep, col, typ, bounds = spec
            if fn is not None and type(val) is not keep:
                val = fn(val)
            if (col is None or type(val) is not typ or col in row
                    or (bounds is not None and not bounds[0] <= val <= bounds[1])):  # NaN too
                extra[key] = val
            else:
                row[col] = val
    return extra


def _specs(columns: dict[str, str], types: dict[str, type],
           bounds: dict[str, tuple[float, float]]) -> dict[str, str | _Spec]:
    """attribute name -> (coercer, the type it keeps, column, column type, bounds of the
    column), for the names that have any; just the column's name for a text column without
    a coercer or bounds (`_split_pairs` takes those in fewer steps)."""
    specs: dict[str, str | _Spec] = {}
    for key in {*_COERCERS, *columns}:
        col = columns.get(key)
        fn = _COERCERS.get(key)
        if col is not None and fn is None and types[col] is str and col not in bounds:
            specs[key] = col
        else:
            specs[key] = (fn, catalogue.KEEPS[fn] if fn is not None else None, col,
                          types[col] if col is not None else None, bounds.get(col or ""))
    return specs


def export_response(signal: Signal, batch: Batch) -> Message:
    """The Export*ServiceResponse for a stored batch: partial_success says how many
    records were refused and why (empty when none were)."""
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    if signal == "logs":
        msg: Message = logs_service_pb2.ExportLogsServiceResponse()
        field_name = "rejected_log_records"
    elif signal == "metrics":
        msg = metrics_service_pb2.ExportMetricsServiceResponse()
        field_name = "rejected_data_points"
    else:
        msg = trace_service_pb2.ExportTraceServiceResponse()
        field_name = "rejected_spans"
    if batch.rejected or batch.rejection:
        setattr(msg.partial_success, field_name, batch.rejected)  # type: ignore[attr-defined]
        msg.partial_success.error_message = batch.rejection  # type: ignore[attr-defined]
    return msg


def _resource_columns(res: dict[str, Any]) -> dict[str, Any]:
    # Only strings make a column; anything else stays in the resource JSON.
    return {col: v if isinstance(v := res.get(key), str) else None
            for key, col in catalogue.RESOURCE_COLUMNS.items()}


_MAX_NS = 2**63 - 1


def _ns(*candidates: int) -> int:
    """The first usable timestamp: OTLP's fixed64 can exceed what the store holds, and a
    nonsense time must not cost the rest of the export its rows."""
    for t in candidates:
        if 0 < t <= _MAX_NS:
            return t
    return candidates[-1]


# --- JSON --------------------------------------------------------------------------------

_ID_FIELDS = {"traceId": 16, "spanId": 8, "parentSpanId": 8, "trace_id": 16, "span_id": 8,
              "parent_span_id": 8}
_MAX_DEPTH = 64  # messages within messages in one export (AnyValue nests)
_MSG, _INT, _FLOAT, _BOOL, _STR, _BYTES, _ENUM = range(7)
_KINDS = {
    FieldDescriptor.TYPE_MESSAGE: _MSG, FieldDescriptor.TYPE_DOUBLE: _FLOAT,
    FieldDescriptor.TYPE_FLOAT: _FLOAT, FieldDescriptor.TYPE_BOOL: _BOOL,
    FieldDescriptor.TYPE_STRING: _STR, FieldDescriptor.TYPE_BYTES: _BYTES,
    FieldDescriptor.TYPE_ENUM: _ENUM,
}
# JSON name (and proto name) -> (proto name, kind, repeated, message or enum type, oneof,
# size of a hex id): one table per message type, from its descriptor.
_JsonField = tuple[str, int, bool, Any, "str | None", "int | None"]
_JSON_TABLES: dict[str, dict[str, _JsonField]] = {}


def _json_table(desc: Descriptor) -> dict[str, _JsonField]:
    table = _JSON_TABLES.get(desc.full_name)
    if table is None:
        table = {}
        for f in desc.fields:
            kind = _KINDS.get(f.type, _INT)
            entry: _JsonField = (
                f.name, kind, f.is_repeated,
                f.message_type if kind == _MSG else f.enum_type,
                f.containing_oneof.name if f.containing_oneof else None,
                _ID_FIELDS.get(f.json_name) if kind == _BYTES else None)
            table[f.json_name] = table[f.name] = entry
        _JSON_TABLES[desc.full_name] = table
    return table


def _json_message(node: Any, desc: Descriptor, depth: int) -> dict[str, Any]:
    """OTLP/JSON object -> the keyword arguments of `desc`'s message (nested as dicts),
    following the protobuf JSON mapping as OTLP uses it: lowerCamelCase or proto names,
    64-bit integers as numbers or strings, enums as numbers (or names), ids as hex
    (OTLP's exception to base64), unknown fields and nulls ignored. One pass, then the
    message is built in C: a tenth of what `json_format.ParseDict` costs."""
    if depth > _MAX_DEPTH:
        raise DecodeError("JSON nested too deeply")
    if not isinstance(node, dict):
        raise DecodeError(f"{desc.name} must be a JSON object, got {type(node).__name__}")
    table = _json_table(desc)
    out: dict[str, Any] = {}
    oneofs: set[str] = set()
    for key, value in node.items():
        field = table.get(key)
        if field is None or value is None:
            continue
        name, _, repeated, _, oneof, _ = field
        if name in out or oneof in oneofs:
            raise DecodeError(f"{desc.name}: {key} given twice (or with another of "
                              f"{oneof or name})")
        if oneof is not None:
            oneofs.add(oneof)
        if repeated:
            if not isinstance(value, list):
                raise DecodeError(f"{desc.name}.{key} must be a JSON array")
            out[name] = (_json_attributes(value, field, key, depth)
                         if field[3] is _KEY_VALUE else
                         [_json_value(v, field, key, depth) for v in value])
        else:
            out[name] = _json_value(value, field, key, depth)
    return out


_KEY_VALUE = KeyValue.DESCRIPTOR
# The attribute values almost every attribute holds, and their keyword names.
_PLAIN = {"stringValue": "string_value", "string_value": "string_value",
          "intValue": "int_value", "int_value": "int_value"}


def _json_attributes(values: list[Any], field: _JsonField, key: str, depth: int
                     ) -> list[Any]:
    """A list of KeyValue (attributes): a string or integer value taken as it is, without
    the general walk (most attributes); any other through `_json_value`."""
    out: list[Any] = []
    for kv in values:
        if type(kv) is dict and len(kv) == 2:
            k, v = kv.get("key"), kv.get("value")
            if type(k) is str and type(v) is dict and len(v) == 1:
                text = v.get("stringValue")  # most values: a string, as JSON spells it
                if type(text) is str:
                    out.append({"key": k, "value": {"string_value": text}})
                    continue
                ((vk, vv),) = v.items()
                name = _PLAIN.get(vk)
                if name == "string_value" and type(vv) is str:
                    out.append({"key": k, "value": {name: vv}})
                    continue
                if name == "int_value" and (type(vv) is int or (type(vv) is str
                                            and vv.isdigit() and len(vv) < 19)):
                    out.append({"key": k, "value": {name: int(vv)}})
                    continue
        out.append(_json_value(kv, field, key, depth))
    return out


def _json_value(value: Any, field: _JsonField, key: str, depth: int) -> Any:
    kind, sub, id_size = field[1], field[3], field[5]
    if kind == _MSG:
        return _json_message(value, sub, depth + 1)
    if kind == _STR:
        if isinstance(value, str):
            return value
    elif kind == _INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str | float) and not isinstance(value, bool):
            number = value if isinstance(value, float) else _number(value, key)
            if isinstance(number, int):
                return number
            if math.isfinite(number) and number.is_integer():
                return int(number)
    elif kind == _FLOAT:
        if isinstance(value, float | int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            return float(_number(value, key))
    elif kind == _BOOL:
        if isinstance(value, bool):
            return value
    elif kind == _BYTES:
        if isinstance(value, str):
            return _json_bytes(value, key, id_size)
    elif kind == _ENUM:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):  # a name; one this version does not know is the default
            known = sub.values_by_name.get(value)
            return known.number if known is not None else 0
    raise DecodeError(f"{key}: {str(value)[:40]!r} is not a valid value")


def _number(text: str, key: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)  # also "NaN", "Infinity", "-Infinity"
    except ValueError:
        raise DecodeError(f"{key}: {text[:40]!r} is not a number") from None


def _json_bytes(text: str, key: str, id_size: int | None) -> bytes:
    if id_size is not None:  # OTLP/JSON ids are hex
        if not text:
            return b""
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise DecodeError(f"{key} {text[:40]!r} is not hex") from None
        if len(raw) != id_size:
            raise DecodeError(f"{key} must be {id_size * 2} hex digits, got {len(text)}")
        return raw
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_")
    except ValueError:
        raise DecodeError(f"{key}: not base64") from None


def parse_message(signal: Signal, body: bytes, encoding: Encoding) -> Message:
    cls = REQUEST_TYPES[signal]
    if encoding == "protobuf":
        msg = cls()
        try:
            msg.ParseFromString(body)
        except (ProtobufDecodeError, RecursionError, ValueError) as exc:
            raise DecodeError(f"invalid protobuf {cls.__name__}: {exc}") from None
        return msg
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"invalid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise DecodeError("OTLP/JSON body must be a JSON object")
    try:
        return cls(**_json_message(data, cls.DESCRIPTOR, 0))
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise DecodeError(f"invalid OTLP/JSON {cls.__name__}: {str(exc)[:300]}") from None


# --- rows --------------------------------------------------------------------------------

WIRE = _load_wire()
_split_pairs = _py_split_pairs if WIRE is None else WIRE.split_pairs


def reader() -> str:
    """Which reader decodes OTLP/protobuf log and metric exports: "compiled" (`_wire.c`)
    or "protobuf" (upb alone). `/readyz` says it, so a slow install can be told apart."""
    return "compiled" if WIRE is not None else "protobuf"


# One log record as both paths hand it to `_log_rows`: time_unix_nano,
# observed_time_unix_nano, severity_number or None, severity_text or None, body (the value
# of its AnyValue, None when absent), attribute pairs, trace_id and span_id as hex or None.
_Record = tuple[int, int, "int | None", "str | None", Any, list[tuple[str, Any]],
                "str | None", "str | None"]
_Scope = tuple["str | None", "str | None", Iterable[_Record]]
_Resource = tuple[Iterable[tuple[str, Any]], Iterable[_Scope]]


def _upb_record(rec: Any) -> _Record:
    value = rec.body
    body = value.string_value or (any_value(value) if rec.HasField("body") else None)
    trace, span = rec.trace_id, rec.span_id
    return (rec.time_unix_nano, rec.observed_time_unix_nano, rec.severity_number or None,
            rec.severity_text or None, body, list(_pairs(rec.attributes)),
            trace.hex() if trace else None, span.hex() if span else None)


def _upb_logs(msg: ExportLogsServiceRequest) -> Iterator[_Resource]:
    """The general path: upb's parsed message, as `_wire.decode_logs` gives the wire."""
    for rl in msg.resource_logs:
        yield _pairs(rl.resource.attributes), (
            (sl.scope.name or None, sl.scope.version or None, map(_upb_record, sl.log_records))
            for sl in rl.scope_logs)


def _log_rows(resources: Iterable[_Resource], batch: Batch) -> None:
    """Event rows from log records, whichever path read them."""
    now = batch.received_ns
    event_name = catalogue.event_name
    for res_pairs, scopes in resources:
        res = _typed(res_pairs)
        res_json = to_json(res)
        res_cols = _resource_columns(res)
        for scope_name, scope_version, records in scopes:
            for t, observed, severity, severity_text, body, pairs, trace, span in records:
                row: dict[str, Any] = res_cols.copy()
                extra = _split_pairs(pairs, _EVENT_SPECS, row)
                # event.name, else the body's (only a text value ever takes the column)
                row["event_name"] = row.get("event_name") or event_name(None, body)
                # The time as sent (else the observed time, else 0): identity and the
                # stored time. Only a record with neither is placed at its receive time.
                if not 0 < observed <= _MAX_NS:
                    observed = 0
                if not 0 < t <= _MAX_NS:
                    t = observed
                    if not t:
                        row["ts"] = now // 1000  # else the writer's: time_unix_nano
                row["time_unix_nano"] = t
                row["observed_unix_nano"] = observed or None
                row["severity_number"] = severity
                row["severity_text"] = severity_text
                row["body"] = body if body.__class__ is str or body is None else to_json(body)
                row["trace_id"] = trace
                row["span_id"] = span
                row["scope_name"] = scope_name
                row["scope_version"] = scope_version
                row["resource"] = res_json
                row["attributes"] = to_json(extra)
                row["source"] = "telemetry"
                row["event_key"] = event_key(row)
                batch.events.append(row)


_EVENT_INT = ("event_sequence", "input_tokens", "output_tokens", "cache_read_tokens",
              "cache_creation_tokens", "cache_creation_5m_tokens", "cache_creation_1h_tokens",
              "status_code", "attempt")
_EVENT_FLOAT = ("cost_usd", "duration_ms", "ttft_ms")
_EVENT_TYPES: dict[str, type] = {
    **{c: str for c in catalogue.EVENT_COLUMNS.values()},
    **{c: int for c in _EVENT_INT},
    **{c: float for c in _EVENT_FLOAT},
    "success": bool,
}
# What a single request can plausibly carry. A value outside stays in the JSON attributes
# (kept, not summed): one absurd number must not overflow every total it joins.
_BOUNDS: dict[str, tuple[float, float]] = {
    "cost_usd": (-1e6, 1e6),
    **{c: (0, 1e12) for c in _EVENT_INT if c.endswith("_tokens")},
}
_EVENT_SPECS = _specs(catalogue.EVENT_COLUMNS, _EVENT_TYPES, _BOUNDS)


_POINT_TYPES: dict[str, type] = {c: str for c in catalogue.POINT_COLUMNS.values()}


def _num(dp: NumberDataPoint) -> float | None:
    kind = dp.WhichOneof("value")
    if kind == "as_double":
        v = dp.as_double
    elif kind == "as_int":
        v = float(dp.as_int)
    else:
        return None
    return v if math.isfinite(v) else None


# One metric as both paths hand it to `_metric_rows`: name, description or None, unit or
# None, kind (None without data), temporality or None, is_monotonic (None but for sums),
# and its points: (start, time, attribute pairs, value) where the value of a sum's or
# gauge's point is a finite float or None, and of any other kind's, upb's data point.
_Point = tuple[int, int, Iterable[tuple[str, Any]], Any]
_Metric = tuple[str, "str | None", "str | None", "str | None", "int | None", "bool | None",
                Iterable[_Point]]
_MetricScope = tuple["str | None", "str | None", Iterable[_Metric]]
_MetricResource = tuple[Iterable[tuple[str, Any]], Iterable[_MetricScope]]


def _upb_metric(m: Any) -> _Metric:
    kind = m.WhichOneof("data")
    data = getattr(m, kind) if kind is not None else None
    number = kind in ("sum", "gauge")
    points = ((dp.start_time_unix_nano, dp.time_unix_nano, _pairs(dp.attributes),
               _num(dp) if number else dp)
              for dp in (data.data_points if data is not None else ()))
    return (m.name, m.description or None, m.unit or None, kind,
            getattr(data, "aggregation_temporality", 0) or None,
            getattr(data, "is_monotonic", None), points)


def _upb_metrics(msg: ExportMetricsServiceRequest) -> Iterator[_MetricResource]:
    """The general path: upb's parsed message, as `_wire.decode_metrics` gives the wire."""
    for rm in msg.resource_metrics:
        yield _pairs(rm.resource.attributes), (
            (sm.scope.name or None, sm.scope.version or None, map(_upb_metric, sm.metrics))
            for sm in rm.scope_metrics)


def _distribution(kind: str, dp: Any, row: dict[str, Any]) -> None:
    """A histogram's, exponential histogram's or summary's point: count, sum, min, max and
    its buckets or quantiles (as JSON)."""
    row["count"] = dp.count
    if kind != "summary":
        row["sum"] = dp.sum if dp.HasField("sum") else None
        row["min"] = dp.min if dp.HasField("min") else None
        row["max"] = dp.max if dp.HasField("max") else None
    else:
        row["sum"] = dp.sum
    detail: dict[str, Any] = {}
    if kind == "histogram":
        detail = {"bounds": list(dp.explicit_bounds), "counts": list(dp.bucket_counts)}
    elif kind == "exponential_histogram":
        detail = {"scale": dp.scale, "zero_count": dp.zero_count,
                  "positive": {"offset": dp.positive.offset,
                               "counts": list(dp.positive.bucket_counts)},
                  "negative": {"offset": dp.negative.offset,
                               "counts": list(dp.negative.bucket_counts)}}
    elif kind == "summary":
        detail = {"quantiles": [[q.quantile, _clean_float(q.value)]
                                for q in dp.quantile_values]}
    row["detail"] = to_json(detail)


def _metric_rows(resources: Iterable[_MetricResource], batch: Batch) -> None:
    """Point rows from metrics, whichever path read them."""
    for res_pairs, scopes in resources:
        res = _typed(res_pairs)
        res_json = to_json(res)
        res_cols = _resource_columns(res)
        for scope_name, scope_version, metrics in scopes:
            for name, description, unit, kind, temporality, monotonic, points in metrics:
                if kind is None:
                    continue
                series = series_hasher(name, kind, res_json, scope_name)
                # What every point of the metric holds alike, made once.
                base = {**res_cols, "metric_name": name, "description": description,
                        "unit": unit, "kind": kind, "temporality": temporality,
                        "is_monotonic": monotonic, "scope_name": scope_name,
                        "scope_version": scope_version, "resource": res_json}
                number = kind in ("sum", "gauge")
                for start, t, pairs, value in points:
                    if not 0 < t <= _MAX_NS:  # OTLP: a point without a time is invalid
                        batch.reject("a data point without a valid time_unix_nano is "
                                     "refused (OTLP requires it)")
                        continue
                    attrs = _typed(pairs)
                    row: dict[str, Any] = base.copy()
                    extra = _split(attrs, catalogue.POINT_COLUMNS, _POINT_TYPES, row)
                    row["start_unix_nano"] = start if 0 < start <= _MAX_NS else None
                    row["time_unix_nano"] = t
                    row["attributes"] = to_json(dict(sorted(extra.items())))
                    if number:
                        row["value"] = value
                    else:
                        _distribution(kind, value, row)
                    # Identity of the series, independent of the point's time and value.
                    row["series_key"] = series_digest_of(series, attrs)
                    batch.points.append(row)


_SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer",
               5: "consumer"}


def _traces(msg: ExportTraceServiceRequest, batch: Batch) -> None:
    for rs in msg.resource_spans:
        res = attributes(rs.resource.attributes)
        res_json = to_json(res)
        res_cols = _resource_columns(res)
        for ss in rs.scope_spans:
            for sp in ss.spans:
                attrs = attributes(sp.attributes)
                if not sp.trace_id or not sp.span_id:
                    raise DecodeError("span without trace_id or span_id")
                row: dict[str, Any] = dict(res_cols)
                sid = attrs.get("session.id")
                # Times as sent (None when absent); a span without a start is placed at
                # its receive time, which is no part of its identity (trace + span id).
                start = _ns(sp.start_time_unix_nano, 0) or None
                if start is None:
                    row["ts"] = batch.received_ns // 1000
                row.update(
                    trace_id=sp.trace_id.hex(),
                    span_id=sp.span_id.hex(),
                    parent_span_id=_hexid(sp.parent_span_id),
                    name=sp.name,
                    kind=_SPAN_KINDS.get(sp.kind, str(sp.kind)),
                    start_unix_nano=start,
                    end_unix_nano=_ns(sp.end_time_unix_nano, start or 0, 0) or None,
                    status_code=sp.status.code,
                    status_message=sp.status.message or None,
                    session_id=sid if isinstance(sid, str) else None,
                    scope_name=ss.scope.name or None,
                    scope_version=ss.scope.version or None,
                    resource=res_json,
                    attributes=to_json(attrs),
                    events=to_json([{"name": e.name, "time_unix_nano": e.time_unix_nano,
                                     "attributes": attributes(e.attributes)}
                                    for e in sp.events]),
                    links=to_json([{"trace_id": lk.trace_id.hex(), "span_id": lk.span_id.hex(),
                                    "attributes": attributes(lk.attributes)}
                                   for lk in sp.links]),
                )
                batch.spans.append(row)


def decode_request(signal: Signal, body: bytes, encoding: Encoding, *,
                   wire: bool = True) -> Batch:
    """Decode one OTLP export request body (already decompressed) into rows. Log exports
    in protobuf are read by `_wire` when it is built (`wire=False`: by upb, the general
    path); what it leaves to upb, and every other export, is parsed by upb."""
    if wire and WIRE is not None and signal != "traces" and encoding == "protobuf":
        read = WIRE.decode_logs if signal == "logs" else WIRE.decode_metrics
        try:
            resources = read(body)
        except ValueError as exc:
            name = REQUEST_TYPES[signal].__name__
            raise DecodeError(f"invalid protobuf {name}: {exc}") from None
        if resources is not None:
            batch = Batch(signal=signal, received_ns=time.time_ns())
            (_log_rows if signal == "logs" else _metric_rows)(resources, batch)
            return batch
    return decode_message(signal, parse_message(signal, body, encoding))


def decode_message(signal: Signal, msg: Message) -> Batch:
    batch = Batch(signal=signal, received_ns=time.time_ns())
    try:
        if signal == "logs":
            _log_rows(_upb_logs(msg), batch)  # type: ignore[arg-type]
        elif signal == "metrics":
            _metric_rows(_upb_metrics(msg), batch)  # type: ignore[arg-type]
        else:
            _traces(msg, batch)  # type: ignore[arg-type]
    except RecursionError:
        raise DecodeError("attribute values nested too deeply") from None
    return batch


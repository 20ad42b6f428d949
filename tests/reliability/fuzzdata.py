"""Hypothesis strategies for hostile OTLP input, shared by the decoder and HTTP fuzz tests.

Most cases start from what Claude Code really sends (the captures) and break it, because
a decoder is most fragile just past the happy path: right shape, wrong types, extreme
values. The rest is noise: random bytes, truncations, random JSON.
"""

from __future__ import annotations

import copy
import gzip
import json
import zlib
from typing import Any

from hypothesis import strategies as st

from ccotel.claude import catalogue
from ccotel.otlp.decode import parse_message
from tests.conftest import SCENARIOS, capture_requests

SIGNALS = ("logs", "metrics", "traces")


def _captures() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SIGNALS}
    for name in SCENARIOS:
        for req in capture_requests(name):
            out[req["path"].rsplit("/", 1)[1]].append(req["body"])
    return out


CAPTURES = _captures()
PROTOBUF = {s: [parse_message(s, json.dumps(b).encode(), "json").SerializeToString()  # type: ignore[arg-type]
                for b in bodies] for s, bodies in CAPTURES.items()}

# Attribute keys the decoder treats specially (coercion, hot columns) plus plain noise.
KEYS = sorted({*catalogue.COERCERS, *catalogue.EVENT_COLUMNS, *catalogue.POINT_COLUMNS,
               *catalogue.RESOURCE_COLUMNS})

INT64 = 2**63
extreme_ints = st.sampled_from([0, -1, 1, INT64 - 1, -INT64, INT64, 2**64 - 1, 2**64, 10**30])
numbers = st.one_of(
    extreme_ints,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324]),
)
numeric_strings = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1", "0x10",
                                   "99999999999999999999999", "", " ", "true", "1.5", "٣"])
leaf = st.one_of(st.none(), st.booleans(), numbers, numeric_strings,
                 st.text(max_size=30), st.text(max_size=2000).map(lambda s: s * 3))
json_values = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=4),
    max_leaves=20)


def any_value() -> st.SearchStrategy[Any]:
    """OTLP/JSON AnyValue objects, well- and ill-typed."""
    scalar = st.one_of(
        st.builds(lambda v: {"stringValue": v}, st.one_of(st.text(max_size=40), numeric_strings)),
        st.builds(lambda v: {"intValue": v}, st.one_of(extreme_ints, numeric_strings, leaf)),
        st.builds(lambda v: {"doubleValue": v}, st.one_of(numbers, numeric_strings)),
        st.builds(lambda v: {"boolValue": v}, leaf),
        st.builds(lambda v: {"bytesValue": v}, st.one_of(st.text(max_size=20), leaf)),
        json_values,
    )
    return st.recursive(scalar, lambda inner: st.one_of(
        st.builds(lambda vs: {"arrayValue": {"values": vs}}, st.lists(inner, max_size=3)),
        st.builds(lambda kvs: {"kvlistValue": {"values": [{"key": k, "value": v}
                                                          for k, v in kvs]}},
                  st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=3))),
        max_leaves=8)


attributes = st.lists(st.builds(lambda k, v: {"key": k, "value": v},
                                st.one_of(st.sampled_from(KEYS), st.text(max_size=10)),
                                any_value()), max_size=8)


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document (dict keys and list indexes)."""
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _nodes(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _nodes(v, (*path, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = value
    return doc


# Well-typed but extreme values for the OTLP/JSON fields that carry numbers: these pass
# the protobuf parser and reach the decoder's own logic and the store.
_u64 = st.one_of(st.sampled_from(["0", "1", "9223372036854775807", "9223372036854775808",
                                  "18446744073709551615"]),
                 st.integers(0, 2**64 - 1).map(str))
_i64 = st.one_of(st.sampled_from([str(-INT64), str(INT64 - 1), "0", "-1"]),
                 st.integers(-INT64, INT64 - 1).map(str))
_double = st.one_of(st.sampled_from(["NaN", "Infinity", "-Infinity", 1e308, -1e308, 5e-324]),
                    st.floats(allow_nan=False, allow_infinity=False))
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    **{k: _u64 for k in ("timeUnixNano", "startTimeUnixNano", "observedTimeUnixNano",
                         "endTimeUnixNano", "count", "zeroCount")},
    **{k: _double for k in ("asDouble", "sum", "min", "max", "doubleValue", "quantile",
                            "value")},
    **{k: _i64 for k in ("asInt", "intValue")},
    **{k: st.integers(-3, 40) for k in ("severityNumber", "kind", "aggregationTemporality",
                                         "code", "scale", "flags")},
    **{k: st.sampled_from(["", "00", "0" * 32, "f" * 16, "zz" * 8, "0" * 33])
       for k in ("traceId", "spanId", "parentSpanId")},
    "isMonotonic": st.booleans(),
}


def typed_any_value() -> st.SearchStrategy[Any]:
    """AnyValue objects of the right shape with extreme contents."""
    scalar = st.one_of(
        st.builds(lambda v: {"stringValue": v},
                  st.one_of(st.text(max_size=40), numeric_strings,
                            st.text(min_size=1, max_size=5).map(lambda t: t * 20_000))),
        st.builds(lambda v: {"intValue": v}, _i64),
        st.builds(lambda v: {"doubleValue": v}, _double),
        st.builds(lambda v: {"boolValue": v}, st.booleans()),
        st.builds(lambda v: {"bytesValue": v}, st.sampled_from(["", "AAAA", "/w=="])),
        st.just({}),
    )
    return st.recursive(scalar, lambda inner: st.one_of(
        st.builds(lambda vs: {"arrayValue": {"values": vs}}, st.lists(inner, max_size=3)),
        st.builds(lambda kvs: {"kvlistValue": {"values": [{"key": k, "value": v}
                                                          for k, v in kvs]}},
                  st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=3))),
        max_leaves=8)


typed_attributes = st.lists(st.builds(lambda k, v: {"key": k, "value": v},
                                      st.one_of(st.sampled_from(KEYS), st.text(max_size=10)),
                                      typed_any_value()), max_size=12)


MAX_NODES = 1_000  # a document this large gets no more repeated lists (at most ~500k nodes)


@st.composite
def mutated_capture(draw: st.DrawFn) -> tuple[str, dict[str, Any] | Any]:
    """A real Claude Code export with a few nodes replaced: mostly by well-typed extreme
    values (they get past the parser), sometimes by anything at all."""
    signal = draw(st.sampled_from(SIGNALS))
    doc = copy.deepcopy(draw(st.sampled_from(CAPTURES[signal])))
    paths = _nodes(doc)[1:]  # never the root: that only tests "not an object"
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(paths))
        last = path[-1] if path else None
        wild = draw(st.integers(0, 9)) == 0
        if wild:
            value: Any = draw(json_values if last != "attributes" else attributes)
        elif last == "attributes":
            value = draw(typed_attributes)
        elif last in ("value", "body") and isinstance(path[-2] if len(path) > 1 else None,
                                                      (int, str)):
            value = draw(typed_any_value()) if last == "body" or isinstance(
                _get(doc, path), dict) else draw(FIELDS["value"])
        elif isinstance(last, str) and last in FIELDS:
            value = draw(FIELDS[last])
        elif isinstance(last, str) and last.endswith("Value") and len(path) > 1:
            path, value = path[:-1], draw(typed_any_value())  # the whole AnyValue
        elif isinstance(_get(doc, path), list) and _get(doc, path) and len(paths) < MAX_NODES:
            # Repeat an element many times: enormous counts of records or attributes. Only
            # while the document is small: repeated repeats would grow it without bound
            # (500 ** 5 nodes), and the server refuses far less (otlp/bounds.py) anyway.
            value = _get(doc, path) * draw(st.sampled_from([2, 50, 500]))
        else:
            continue
        try:
            doc = _set(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
        paths = _nodes(doc)[1:]
    return signal, doc


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


@st.composite
def noisy_protobuf(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real export as protobuf, truncated, with bytes flipped, or pure noise."""
    signal = draw(st.sampled_from(SIGNALS))
    kind = draw(st.sampled_from(["truncate", "flip", "noise", "splice"]))
    body = draw(st.sampled_from(PROTOBUF[signal]))
    if kind == "truncate":
        return signal, body[:draw(st.integers(0, max(0, len(body) - 1)))]
    if kind == "flip":
        data = bytearray(body)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        return signal, bytes(data)
    if kind == "splice":
        other = draw(st.sampled_from(PROTOBUF[draw(st.sampled_from(SIGNALS))]))
        cut = draw(st.integers(0, len(body)))
        return signal, body[:cut] + other[draw(st.integers(0, len(other))):]
    return signal, draw(st.binary(max_size=2000))


def to_json_bytes(doc: Any) -> bytes:
    # allow_nan: NaN and Infinity tokens are exactly the hostile input we want to send.
    return json.dumps(doc, allow_nan=True).encode()


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    return body


# -- hand-made extremes: each one a known way to take a naive decoder down ---------------


def deep_json(depth: int) -> bytes:
    return b'{"resourceLogs":' + b"[" * depth + b"]" * depth + b"}"


def deep_kvlist_json(depth: int) -> bytes:
    # Built as text: json.dumps would hit Python's own recursion limit first.
    value = ('{"kvlistValue":{"values":[{"key":"k","value":' * depth + '{"stringValue":"x"}'
             + "}]}}" * depth)
    rec = '{"timeUnixNano":"1","attributes":[{"key":"deep","value":' + value + "}]}"
    return ('{"resourceLogs":[{"scopeLogs":[{"logRecords":[' + rec + "]}]}]}").encode()


def deep_kvlist_protobuf(depth: int) -> bytes:
    """Nesting built as raw protobuf bytes (the Python message API would recurse itself)."""
    def field(num: int, payload: bytes) -> bytes:
        return varint(num << 3 | 2) + varint(len(payload)) + payload

    any_value = field(1, b"bottom")  # AnyValue.string_value
    for _ in range(depth):
        kv = field(1, b"k") + field(2, any_value)          # KeyValue{key, value}
        any_value = field(6, field(1, kv))                 # AnyValue.kvlist_value.values
    record = varint(1 << 3 | 1) + (1).to_bytes(8, "little") + field(6, field(1, b"deep") +
                                                                   field(2, any_value))
    return field(1, field(2, field(2, record)))  # resource_logs.scope_logs.log_records


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def many_attributes_json(count: int) -> bytes:
    attrs = [{"key": f"k{i}", "value": {"intValue": i}} for i in range(count)]
    attrs += [{"key": "session.id", "value": {"stringValue": "many-attrs"}},
              {"key": "event.sequence", "value": {"intValue": 0}}]
    rec = {"timeUnixNano": "1700000000000000000", "attributes": attrs,
           "body": {"stringValue": "claude_code.many"}}
    return json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [rec]}]}]}).encode()


def huge_string_json(size: int) -> bytes:
    rec = {"timeUnixNano": "1700000000000000000",
           "attributes": [{"key": "prompt", "value": {"stringValue": "x" * size}},
                          {"key": "session.id", "value": {"stringValue": "huge-string"}},
                          {"key": "event.sequence", "value": {"intValue": 0}}],
           "body": {"stringValue": "claude_code.user_prompt"}}
    return json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [rec]}]}]}).encode()


def extreme_metrics_json() -> bytes:
    """NaN/Inf values and out-of-range times in every metric kind."""
    def dp(**extra: Any) -> dict[str, Any]:
        return {"startTimeUnixNano": "18446744073709551615", "timeUnixNano": "1",
                "attributes": [{"key": "session.id", "value": {"stringValue": "x"}}], **extra}

    metrics = [
        {"name": "claude_code.cost.usage", "sum": {"aggregationTemporality": 2,
         "isMonotonic": True, "dataPoints": [dp(asDouble="NaN"), dp(asDouble="Infinity"),
                                             dp(asDouble="-Infinity"), dp(asInt="-1")]}},
        {"name": "g", "gauge": {"dataPoints": [dp(asDouble=1e308), dp(asInt="9223372036854775807")]}},
        {"name": "h", "histogram": {"dataPoints": [dp(count="18446744073709551615", sum="NaN",
                                                      bucketCounts=["1"], explicitBounds=["Infinity"])]}},
        {"name": "s", "summary": {"dataPoints": [dp(quantileValues=[{"quantile": "NaN",
                                                                      "value": "Infinity"}])]}},
    ]
    return json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": metrics}]}]}).encode()


EXTREMES: dict[str, tuple[str, str, bytes]] = {
    # name: (signal, encoding, body)
    "deep-json-array": ("logs", "json", deep_json(100_000)),
    "deep-kvlist-json": ("logs", "json", deep_kvlist_json(300)),
    "deep-kvlist-protobuf": ("logs", "protobuf", deep_kvlist_protobuf(300)),
    "100k-attributes": ("logs", "json", many_attributes_json(100_000)),
    "4MiB-string": ("logs", "json", huge_string_json(4 * 1024 * 1024)),
    "nan-inf-metrics": ("metrics", "json", extreme_metrics_json()),
    "json-array-top": ("logs", "json", b"[1,2,3]"),
    "json-nan-top": ("logs", "json", b"NaN"),
    "empty-protobuf": ("metrics", "protobuf", b""),
    "empty-json": ("traces", "json", b""),
    "utf16-json": ("logs", "json", '{"resourceLogs": []}'.encode("utf-16")),
    "invalid-utf8": ("logs", "json", b'{"resourceLogs": [{"x": "\xff\xfe"}]}'),
}

"""How much work one OTLP request is, counted on the wire before anything is parsed.

Parsing multiplies size: a 16 MiB protobuf body of 8,000,000 empty log records becomes
about 1 GB of parsed messages, and every record a row after that. `count` walks the
encoded request with the schema of the OTLP messages (from their descriptors) and stops as
soon as it has seen more records (log records, data points, spans) or more messages of any
kind (attributes, array values, span events, ...) than allowed, so a refused request costs
at most that many steps and no memory. A JSON body is bounded the same way by counting its
objects and arrays (`{` and `[`, an over-estimate: brackets inside strings count too); its
records are counted once parsed, which that bound keeps cheap.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ccotel.otlp.decode import REQUEST_TYPES, Encoding
from ccotel.store.rows import Signal

# The messages that become one row each.
RECORD_TYPES = frozenset({
    "opentelemetry.proto.logs.v1.LogRecord",
    "opentelemetry.proto.trace.v1.Span",
    "opentelemetry.proto.metrics.v1.NumberDataPoint",
    "opentelemetry.proto.metrics.v1.HistogramDataPoint",
    "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint",
    "opentelemetry.proto.metrics.v1.SummaryDataPoint",
})


class TooMuchWork(ValueError):
    """The request holds more than one export may: the client gets 413 /
    RESOURCE_EXHAUSTED (split the export; a retry of the same one fails again)."""


class Malformed(ValueError):
    """The wire walk found bytes that are not protobuf (the parser will say exactly why)."""


@dataclass(frozen=True)
class Limits:
    records: int = 32_768     # rows one export may become
    messages: int = 1_500_000  # protobuf messages one export may hold (JSON: a quarter)


# Per message type: field number -> (index of the nested message type, is a record).
# Built once from the descriptors, so it follows the vendored opentelemetry-proto.
_Table = dict[int, tuple[int, bool]]


def _tables(root: Descriptor) -> tuple[list[_Table], dict[str, int]]:
    index: dict[str, int] = {}
    tables: list[_Table] = []
    pending = [root]
    index[root.full_name] = 0
    tables.append({})
    while pending:
        desc = pending.pop()
        table = tables[index[desc.full_name]]
        for f in desc.fields:
            if f.type != FieldDescriptor.TYPE_MESSAGE:
                continue
            sub = f.message_type
            assert sub is not None  # a message field has its message type
            if sub.full_name not in index:
                index[sub.full_name] = len(tables)
                tables.append({})
                pending.append(sub)
            table[f.number] = (index[sub.full_name], sub.full_name in RECORD_TYPES)
    return tables, index


_TABLES = {signal: _tables(cls.DESCRIPTOR) for signal, cls in REQUEST_TYPES.items()}
_KEY_VALUE = "opentelemetry.proto.common.v1.KeyValue"
# The first byte of an AnyValue holding one scalar: string, bool, int, double, bytes.
_SCALAR_TAGS = frozenset({0x0A, 0x10, 0x18, 0x21, 0x3A})


def _plain_attribute(buf: bytes | bytearray | memoryview, pos: int, end: int) -> bool:
    """Whether buf[pos:end] is a KeyValue of a short key and one scalar value (almost every
    attribute): two messages, nothing nested, so the walk can step over it whole."""
    if end - pos < 4 or buf[pos] != 0x0A or buf[pos + 1] >= 0x80:
        return False
    p = pos + 2 + buf[pos + 1]
    if p + 2 > end or buf[p] != 0x12:
        return False
    size = buf[p + 1]
    if size >= 0x80 or p + 2 + size != end:
        return False
    return size == 0 or (buf[p + 2] in _SCALAR_TAGS and (
        (buf[p + 2] != 0x0A and buf[p + 2] != 0x3A) or buf[p + 3] + 2 == size))


def _varint(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise Malformed("varint too long")


def count_protobuf(signal: Signal, buf: bytes | bytearray | memoryview,
                   limits: Limits, *, deep: bool = True) -> tuple[int, int]:
    """(records, messages) in an encoded export request; raises TooMuchWork past `limits`
    and Malformed for bytes the walk cannot follow. Not `deep`, the walk steps over each
    record whole: records are counted, the messages inside them are not."""
    tables, index = _TABLES[signal]
    key_value = index[_KEY_VALUE]
    records = messages = 0
    max_records, max_messages = limits.records, limits.messages
    # (table, end) of each message being walked; nesting depth is bounded by the parser
    # later, and here by the bytes: each level costs at least two.
    stack: list[tuple[_Table, int]] = []
    table, pos, end = tables[0], 0, len(buf)
    try:
        while True:
            if pos >= end:
                if pos > end:
                    raise Malformed("a field runs past its message")
                if not stack:
                    return records, messages
                table, end = stack.pop()
                continue
            tag = buf[pos]
            if tag < 0x80:
                pos += 1
            else:
                tag, pos = _varint(buf, pos)
            wire = tag & 7
            if wire == 2:
                size = buf[pos]
                if size < 0x80:
                    pos += 1
                else:
                    size, pos = _varint(buf, pos)
                sub = table.get(tag >> 3)
                if sub is None:
                    pos += size
                    continue
                messages += 1
                if messages > max_messages:
                    raise TooMuchWork(f"more than {max_messages} protobuf messages "
                                      "(attributes, values, records) in one export")
                if pos + size > end:
                    raise Malformed("a field runs past its message")
                if sub[1]:
                    records += 1
                    if records > max_records:
                        raise TooMuchWork(f"more than {max_records} records in one export")
                    if not deep:
                        pos += size
                        continue
                if sub[0] == key_value and _plain_attribute(buf, pos, pos + size):
                    messages += 1  # its value
                    pos += size
                    continue
                stack.append((table, end))
                table, end = tables[sub[0]], pos + size
            elif wire == 0:
                _, pos = _varint(buf, pos)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            else:
                raise Malformed(f"wire type {wire}")
    except IndexError:
        raise Malformed("truncated") from None


def count_json(body: bytes | bytearray | memoryview, limits: Limits) -> int:
    """An upper bound of the objects and arrays in a JSON body; raises TooMuchWork past a
    quarter of `limits.messages`: each JSON object is parsed twice (into Python, then
    into protobuf, in Python), so it costs about four times a protobuf message."""
    data = bytes(body) if isinstance(body, memoryview) else body
    containers = data.count(b"{") + data.count(b"[")
    most = limits.messages // 4
    if containers > most:
        raise TooMuchWork(f"more than {most} JSON objects and arrays in one export")
    return containers


def records(msg: Message) -> int:
    """The records (log records, spans, data points) of a parsed export request. Loops
    over resources, scopes and metrics, never over records."""
    if isinstance(msg, ExportLogsServiceRequest):
        return sum(len(sl.log_records) for rl in msg.resource_logs for sl in rl.scope_logs)
    if isinstance(msg, ExportTraceServiceRequest):
        return sum(len(ss.spans) for rs in msg.resource_spans for ss in rs.scope_spans)
    n = 0
    if isinstance(msg, ExportMetricsServiceRequest):
        for rm in msg.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    n += len(getattr(m, kind).data_points) if kind else 0
    return n


def check_records(msg: Message, limits: Limits) -> int:
    """The records of a parsed request (for JSON, whose text the walk does not read);
    raises TooMuchWork past `limits.records`."""
    n = records(msg)
    if n > limits.records:
        raise TooMuchWork(f"more than {limits.records} records in one export")
    return n


def check(signal: Signal, body: bytes | bytearray | memoryview, encoding: Encoding,
          limits: Limits) -> None:
    """Raise TooMuchWork when the request holds more than `limits` allow. Bytes the walk
    cannot follow are left for the parser to reject with its own message."""
    if encoding == "json":
        count_json(body, limits)
        return
    # Every message takes two bytes at least: a body that small cannot hold too many,
    # and only the records need counting (a step per record, not per attribute).
    with contextlib.suppress(Malformed):
        count_protobuf(signal, body, limits, deep=len(body) > 2 * limits.messages)

"""A raw OTLP client for tests that need records the SDKs would not make (any nesting, no
time, the same bytes again): the real protobuf messages over the real transports."""

from __future__ import annotations

import base64
import json
from typing import Any

import grpc
import httpx
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.conftest import Server

TRANSPORTS = ("grpc", "protobuf", "json")
SERVICES = {"logs": "opentelemetry.proto.collector.logs.v1.LogsService",
            "metrics": "opentelemetry.proto.collector.metrics.v1.MetricsService",
            "traces": "opentelemetry.proto.collector.trace.v1.TraceService"}
RESPONSES = {"logs": ExportLogsServiceResponse, "metrics": ExportMetricsServiceResponse,
             "traces": ExportTraceServiceResponse}


def to_otlp_json(msg: Any) -> bytes:
    """OTLP/JSON as the spec writes it: ids in hex, not protobuf's base64."""
    data = json_format.MessageToDict(msg)

    def hexify(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("traceId", "spanId") and isinstance(v, str):
                    node[k] = base64.b64decode(v).hex()
                else:
                    hexify(v)
        elif isinstance(node, list):
            for v in node:
                hexify(v)

    hexify(data)
    return json.dumps(data).encode()


def export(srv: Server, transport: str, signal: str, msg: Any,
           channel: grpc.Channel | None = None) -> Any:
    """Send one export request; return the server's Export*ServiceResponse (parsed)."""
    response = RESPONSES[signal]()
    if transport == "grpc":
        own = channel is None
        channel = channel or grpc.insecure_channel(srv.grpc)
        try:
            call = channel.unary_unary(f"/{SERVICES[signal]}/Export",
                                       request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=bytes)
            response.ParseFromString(call(msg, timeout=30))
        finally:
            if own:
                channel.close()
        return response
    if transport == "protobuf":
        content, ctype = msg.SerializeToString(), "application/x-protobuf"
    else:
        content, ctype = to_otlp_json(msg), "application/json"
    r = httpx.post(f"{srv.http}/v1/{signal}", content=content, timeout=30,
                   headers={"content-type": ctype})
    assert r.status_code == 200, r.text
    if transport == "protobuf":
        response.ParseFromString(r.content)
    else:
        json_format.Parse(r.content, response)
    return response

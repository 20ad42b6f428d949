"""Data the store refuses is the client's error, not the server's trouble.

An export that decodes but that the store cannot hold (a cost past what its column
holds) gets 400 / INVALID_ARGUMENT, without a retry delay: asking the client to retry
(503 + Retry-After, UNAVAILABLE) would have it send the same data again and again. The
fuzzers accept any 503; these tests name the one right answer. Witness: the status the
OTLP specification gives for bad data, and the store's rows (nothing of the refused export,
everything of the good one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc

from tests.conftest import Server, start_server
from tests.witness import PAST_HOUR_NS, exact_summary, log_record, logs_export, post

# Within what the decoder lets into the cost column (|cost| <= 1e6 USD), past what the
# store's DECIMAL(18, 12) holds (below 1e6).
TOO_DEAR = 1e6


def refused_export(session: str) -> dict:
    rec = log_record(PAST_HOUR_NS, "api_request", **{
        "session.id": session, "event.sequence": 1, "model": "m", "cost_usd": TOO_DEAR})
    return logs_export([rec])


def good_export(session: str) -> dict:
    return logs_export([log_record(PAST_HOUR_NS, "api_request", **{
        "session.id": session, "event.sequence": 1, "model": "m", "cost_usd": 0.25})])


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("refusals") / "data")
    yield s
    s.stop()


def test_http_answers_400_without_retry_after(srv: Server) -> None:
    resp = post(srv, "logs", refused_export("witness-refused-http"), expect=400)
    assert "retry-after" not in resp.headers
    status = json.loads(resp.text)
    assert status.get("code") == 3, status  # google.rpc.Code INVALID_ARGUMENT
    assert status.get("message"), status
    # Nothing of it is stored; the server takes the next export.
    post(srv, "logs", good_export("witness-good-http"))
    assert exact_summary(srv, session="witness-refused-http")["requests"] == 0
    assert str(exact_summary(srv, session="witness-good-http")["cost_usd"]) == "0.25"


def test_grpc_answers_invalid_argument_without_retry_info(srv: Server) -> None:
    req = json_format.ParseDict(refused_export("witness-refused-grpc"),
                                logs_service_pb2.ExportLogsServiceRequest())
    with grpc.insecure_channel(srv.grpc) as channel:
        stub = logs_service_pb2_grpc.LogsServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.Export(req, timeout=30)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
        trailers = dict(err.value.trailing_metadata() or ())
        assert "grpc-status-details-bin" not in trailers  # no RetryInfo: do not retry
        good = json_format.ParseDict(good_export("witness-good-grpc"),
                                     logs_service_pb2.ExportLogsServiceRequest())
        stub.Export(good, timeout=30)
    assert exact_summary(srv, session="witness-refused-grpc")["requests"] == 0
    assert exact_summary(srv, session="witness-good-grpc")["requests"] == 1

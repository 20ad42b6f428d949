"""Property-based fuzzing of a live `ccotel serve` over HTTP: hostile bodies, encodings and
content types on the OTLP endpoints, hostile query strings on the API. No 5xx except
backpressure (503 with Retry-After), the server keeps serving, earlier data is intact."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Server, capture_requests, claude_result
from tests.reliability import fuzzdata
from tests.reliability.conftest import serve

pytestmark = pytest.mark.e2e

CONTENT_TYPES = ["application/x-protobuf", "application/json", "application/json; charset=utf-8",
                 "APPLICATION/JSON", "text/plain", "", "multipart/form-data; boundary=x",
                 "application/x-protobuf; proto=foo", "application/grpc", "*/*"]
ENCODINGS = ["", "identity", "gzip", "deflate", "br", "gzip, gzip", "x-garbage"]
ALLOWED = {200, 400, 404, 405, 413, 415}
CASES = {"n": 0}
DEFAULT_MAX_BODY = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Default limits: the 16 MiB body limit is part of what is tested.
    s = serve(tmp_path_factory.mktemp("fuzz-http") / "data")
    for req in capture_requests("basic"):
        r = httpx.post(s.http + req["path"], content=json.dumps(req["body"]),
                       headers={"content-type": "application/json"}, timeout=30)
        assert r.status_code == 200
    before = s.summary(session=claude_result("basic")["session_id"])
    yield s
    try:
        # The server survived everything, and what it held before is intact.
        assert httpx.get(f"{s.ui}/readyz", timeout=10).status_code == 200
        after = s.summary(session=claude_result("basic")["session_id"])
        assert {**after, "to": None} == {**before, "to": None}
        req = capture_requests("edit")[0]
        r = httpx.post(s.http + req["path"], content=json.dumps(req["body"]),
                       headers={"content-type": "application/json"}, timeout=30)
        assert r.status_code == 200, "good data refused after the fuzzing"
        assert s.proc.poll() is None
        # No handler blew up unhandled along the way, even where the status looked fine.
        log = "".join(s.log)  # type: ignore[attr-defined]
        assert "Exception in ASGI application" not in log, log[:3000]
    finally:
        s.stop()
        print(f"\nfuzz: {CASES['n']} live HTTP cases run")


def _check(resp: httpx.Response) -> None:
    CASES["n"] += 1
    if resp.status_code == 503:
        assert resp.headers.get("retry-after", "").isdigit(), "503 without Retry-After"
        return
    assert resp.status_code in ALLOWED, (resp.status_code, resp.text[:300])


@st.composite
def otlp_requests(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes]:
    kind = draw(st.sampled_from(["json", "protobuf", "noise"]))
    if kind == "json":
        signal, doc = draw(fuzzdata.mutated_capture())
        body = fuzzdata.to_json_bytes(doc)
        ctype = "application/json"
    elif kind == "protobuf":
        signal, body = draw(fuzzdata.noisy_protobuf())
        ctype = "application/x-protobuf"
    else:
        signal, body = draw(st.sampled_from(fuzzdata.SIGNALS)), draw(st.binary(max_size=300))
        ctype = draw(st.sampled_from(CONTENT_TYPES))
    if draw(st.integers(0, 4)) == 0:  # a wrong or odd content type for a real body
        ctype = draw(st.sampled_from(CONTENT_TYPES))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding in ("gzip", "deflate") and draw(st.booleans()):
        body = fuzzdata.compress(body, encoding)  # else: declared but not compressed
    headers = {"content-type": ctype}
    if encoding:
        headers["content-encoding"] = encoding
    return f"/v1/{signal}", headers, body


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(otlp_requests())
def test_otlp_endpoints_never_fail_with_5xx(srv: Server, case: tuple[str, dict[str, str], bytes]
                                            ) -> None:
    path, headers, body = case
    _check(httpx.post(srv.http + path, content=body, headers=headers, timeout=60))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["from", "to", "user", "session", "model", "x", ""]),
                       st.one_of(st.text(max_size=40), st.sampled_from(
                           ["now-1y", "now-", "-1", "1e309", "NaN", "9" * 40, "2026-13-45",
                            "'; DROP TABLE events; --"])), max_size=4))
def test_api_query_strings_never_fail_with_5xx(srv: Server, params: dict[str, str]) -> None:
    _check(httpx.get(f"{srv.ui}/api/v1/summary", params=params, timeout=30))


def test_a_relative_time_before_year_one_is_400(srv: Server) -> None:
    r = httpx.get(f"{srv.ui}/api/v1/summary", params={"from": "now-9999999d"}, timeout=30)
    assert r.status_code == 400


def _bomb(size: int, wbits: int) -> bytes:
    """`size` zero bytes compressed (about 1000:1), built without holding them in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(1 << 20)
    return b"".join([*(comp.compress(chunk) for _ in range(size >> 20)), comp.flush()])


@pytest.mark.parametrize("encoding,wbits", [("gzip", 16 + zlib.MAX_WBITS),
                                            ("deflate", zlib.MAX_WBITS)])
def test_compression_bombs_are_413(srv: Server, encoding: str, wbits: int) -> None:
    bomb = _bomb(512 << 20, wbits)  # 512 MiB once inflated, ~0.5 MiB on the wire
    r = httpx.post(srv.http + "/v1/logs", content=bomb, timeout=60,
                   headers={"content-type": "application/x-protobuf",
                            "content-encoding": encoding})
    _check(r)
    assert r.status_code == 413


def test_body_over_the_default_limit_is_413(srv: Server) -> None:
    r = httpx.post(srv.http + "/v1/logs", content=b"\x00" * (DEFAULT_MAX_BODY + 1), timeout=60,
                   headers={"content-type": "application/x-protobuf"})
    _check(r)
    assert r.status_code == 413


@pytest.mark.parametrize("name", sorted(fuzzdata.EXTREMES))
def test_extremes_over_http(srv: Server, name: str) -> None:
    signal, encoding, body = fuzzdata.EXTREMES[name]
    ctype = "application/json" if encoding == "json" else "application/x-protobuf"
    _check(httpx.post(f"{srv.http}/v1/{signal}", content=body, timeout=60,
                      headers={"content-type": ctype}))


def test_gzip_of_gzip_is_refused_not_unpacked_twice(srv: Server) -> None:
    inner = fuzzdata.compress(fuzzdata.PROTOBUF["logs"][0], "gzip")
    r = httpx.post(srv.http + "/v1/logs", content=fuzzdata.compress(inner, "gzip"), timeout=30,
                   headers={"content-type": "application/x-protobuf",
                            "content-encoding": "gzip"})
    _check(r)
    assert r.status_code == 400


def test_other_methods_and_paths(srv: Server) -> None:
    for method, path in (("GET", "/v1/logs"), ("PUT", "/v1/metrics"), ("POST", "/v1/nothing"),
                         ("POST", "/v1/logs/../metrics"), ("DELETE", "/"), ("POST", "/%00")):
        _check(httpx.request(method, srv.http + path, content=b"{}", timeout=30,
                             headers={"content-type": "application/json"}))


def test_grpc_compressed_message_over_the_limit_is_refused(srv: Server) -> None:
    """The gRPC side of the bomb: the limit holds after decompression there too."""
    import grpc

    body = bytes(32 << 20)  # 32 MiB of zeros, ~32 KiB gzip-compressed on the wire
    with grpc.insecure_channel(srv.grpc) as ch, pytest.raises(grpc.RpcError) as err:
        ch.unary_unary("/opentelemetry.proto.collector.logs.v1.LogsService/Export")(
            body, timeout=30, compression=grpc.Compression.Gzip)
    CASES["n"] += 1
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

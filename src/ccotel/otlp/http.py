"""OTLP/HTTP transport (POST /v1/logs, /v1/metrics, /v1/traces): bytes in, status out.

Follows opentelemetry-proto docs/specification.md: 400 + google.rpc.Status for bad data,
413 past the size limit measured after decompression or past the records (or nested
values) one export may hold, 415 for an unknown content type,
the response in the request's content type, 429/503 + Retry-After when overloaded.
The port serves no pages, so a request a browser sends for a web page (it has an `Origin`
or a `Sec-Fetch-Site`) is refused with 403 (`auth.cross_site`), and a token is checked by
the server's one `auth.Authenticator` (429 + Retry-After while the address is throttled).
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable

from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ccotel.auth import Authenticator, client_address, cross_site
from ccotel.otlp.bounds import TooMuchWork
from ccotel.otlp.decode import DecodeError, Encoding, export_response
from ccotel.otlp.ingest import Ingestor
from ccotel.otlp.worker import DecoderStopped
from ccotel.store.rows import Signal
from ccotel.store.writer import Overloaded, RejectedBatch

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
class TooLarge(Exception):
    pass


def _encode(msg, encoding: Encoding) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    if encoding == "protobuf":
        return msg.SerializeToString(), PROTOBUF
    return json_format.MessageToJson(msg, indent=None).encode(), JSON


def status_response(http_status: int, code: int, message: str, encoding: Encoding,
                    headers: dict[str, str] | None = None) -> Response:
    body, ctype = _encode(status_pb2.Status(code=code, message=message), encoding)
    return Response(body, status_code=http_status, media_type=ctype, headers=headers)


async def read_body(request: Request, limit: int) -> bytearray:
    """The request body, decompressed, refusing more than `limit` bytes either way (kept
    as the buffer it was read into: no second copy)."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        decomp = None
    elif encoding == "gzip":
        decomp = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decomp = zlib.decompressobj()
    else:
        raise ValueError(f"unsupported Content-Encoding {encoding!r}: use gzip or none")
    out = bytearray()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise TooLarge()
        if decomp is None:
            out += chunk
        else:
            try:
                out += decomp.decompress(chunk, limit + 1 - len(out))
            except zlib.error as exc:
                raise DecodeError(f"invalid {encoding} body: {exc}") from None
            if decomp.unconsumed_tail:
                raise TooLarge()
        if len(out) > limit:
            raise TooLarge()
    if decomp is not None:
        try:
            out += decomp.flush()
        except zlib.error as exc:
            raise DecodeError(f"invalid {encoding} body: {exc}") from None
        if not decomp.eof:
            raise DecodeError(f"truncated {encoding} body")
        if len(out) > limit:
            raise TooLarge()
    return out


def build_app(ingestor: Ingestor, *, max_body: int,
              auth: Authenticator | None = None) -> Starlette:
    metrics = ingestor.metrics
    auth = auth or Authenticator(None)

    def endpoint(signal: Signal) -> Callable[[Request], Awaitable[Response]]:
        async def export(request: Request) -> Response:
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            encoding: Encoding = "json" if media == JSON else "protobuf"
            # Before the token: a page of another site must not spend the throttle of the
            # address of the browser it runs in.
            why = cross_site(dict(request.headers), request.url.scheme, pages=False)
            if why is not None:
                metrics.request(signal, "http", "forbidden")
                return status_response(
                    403, code_pb2.PERMISSION_DENIED, f"refused: a request from a web page "
                    f"({why}); OTLP/HTTP takes exports from exporters, not browsers", encoding)
            verdict = auth.bearer(client_address(request.scope),
                                  request.headers.get("authorization"))
            if verdict.wait:
                metrics.request(signal, "http", "unauthorized")
                return status_response(
                    429, code_pb2.RESOURCE_EXHAUSTED, "too many wrong tokens from this "
                    f"address: try again in {verdict.wait} s", encoding,
                    {"Retry-After": str(verdict.wait)})
            if not verdict.ok:
                metrics.request(signal, "http", "unauthorized")
                return status_response(401, code_pb2.UNAUTHENTICATED,
                                       "missing or wrong bearer token", encoding,
                                       {"WWW-Authenticate": "Bearer"})
            if media not in (PROTOBUF, JSON):
                metrics.request(signal, "http", "unsupported")
                return status_response(
                    415, code_pb2.INVALID_ARGUMENT,
                    f"unsupported Content-Type {media or '(none)'!r}: "
                    f"use {PROTOBUF} or {JSON}", "json")
            try:
                body = await read_body(request, max_body)
            except ClientDisconnect:  # gone, or out of time (connections.py): no one to answer
                metrics.request(signal, "http", "invalid")
                return Response(status_code=408)
            except TooLarge:
                metrics.request(signal, "http", "too_large")
                return status_response(
                    413, code_pb2.RESOURCE_EXHAUSTED,
                    f"request body exceeds {max_body} bytes (after decompression)", encoding)
            except ValueError as exc:  # unsupported encoding or bad compressed data
                metrics.request(signal, "http", "invalid")
                status = 400 if isinstance(exc, DecodeError) else 415
                return status_response(status, code_pb2.INVALID_ARGUMENT, str(exc), encoding)
            try:
                batch = await ingestor.decode(signal, body, encoding)
            except DecodeError as exc:
                metrics.request(signal, "http", "invalid")
                return status_response(400, code_pb2.INVALID_ARGUMENT, str(exc), encoding)
            except TooMuchWork as exc:
                metrics.request(signal, "http", "too_large")
                return status_response(413, code_pb2.RESOURCE_EXHAUSTED,
                                       f"{exc}: split it into smaller exports", encoding)
            except DecoderStopped as exc:  # replaced already: the retry is decoded
                metrics.request(signal, "http", "failed")
                return status_response(503, code_pb2.UNAVAILABLE, str(exc), encoding,
                                       {"Retry-After": "1"})
            size = len(body)
            del body  # the rows are what is kept from here on
            try:
                await ingestor.store(batch, size)
            except Overloaded as exc:
                metrics.request(signal, "http", "throttled", batch.records)
                return status_response(
                    503, code_pb2.UNAVAILABLE, "ccotel is busy writing: retry later", encoding,
                    {"Retry-After": str(exc.retry_after_s)})
            except RejectedBatch as exc:
                metrics.request(signal, "http", "invalid", batch.records)
                return status_response(400, code_pb2.INVALID_ARGUMENT, str(exc), encoding)
            except Exception as exc:  # storage trouble: ask for a retry
                metrics.request(signal, "http", "failed", batch.records)
                return status_response(
                    503, code_pb2.UNAVAILABLE, f"could not store the data: {exc}", encoding,
                    {"Retry-After": "5"})
            metrics.request(signal, "http", "accepted", batch.records)
            body_out, ctype = _encode(export_response(signal, batch), encoding)
            return Response(body_out, media_type=ctype)

        return export

    routes = [Route(f"/v1/{s}", endpoint(s), methods=["POST"])
              for s in ("logs", "metrics", "traces")]
    return Starlette(routes=routes)

"""What both transports do with an export: decode, transform, queue, wait for the commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from ccotel.otlp import bounds
from ccotel.otlp.decode import Encoding, decode_message, decode_request, parse_message
from ccotel.selfmetrics import ServerMetrics
from ccotel.store.rows import Batch, Signal
from ccotel.store.writer import Writer, WriteResult


class Ingestor:
    def __init__(self, writer: Writer, metrics: ServerMetrics,
                 transform: Callable[[Batch], None] | None = None,
                 limits: bounds.Limits | None = None, keep_requests: bool = False) -> None:
        self.writer = writer
        self.limits = limits or bounds.Limits()
        self.keep_requests = keep_requests  # `serve --forward`: the outbox needs the request
        self.metrics = metrics
        self.transform = transform
        # Decoding holds the GIL, so a second thread would only contend for it; the writer
        # thread runs beside this one while DuckDB works.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccotel-decode")

    async def decode(self, signal: Signal, body: bytes | bytearray, encoding: Encoding
                     ) -> Batch:
        """The rows of one export; raises DecodeError, or bounds.TooMuchWork for more
        records or nested values than one export may hold (counted before parsing)."""
        # Decoding is CPU work: off the event loop, so health checks stay responsive. One
        # thread: one request's parse in memory at a time.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._prepare, signal, body, encoding)

    def _prepare(self, signal: Signal, body: bytes | bytearray, encoding: Encoding) -> Batch:
        bounds.check(signal, body, encoding, self.limits)
        if encoding == "protobuf":  # its records were counted on the wire
            batch = decode_request(signal, cast(bytes, body), encoding)  # any buffer: no copy
            if self.keep_requests:
                batch.request = bytes(body)
        else:
            msg = parse_message(signal, cast(bytes, body), encoding)
            bounds.check_records(msg, self.limits)
            batch = decode_message(signal, msg)
            if self.keep_requests:
                batch.request = msg.SerializeToString()
        if self.transform is not None:
            self.transform(batch)
        return batch

    async def store(self, batch: Batch, size: int) -> WriteResult:
        """Queue the batch decoded from `size` bytes (raises Overloaded at once) and wait
        for its commit."""
        return await asyncio.wrap_future(self.writer.submit(batch, size))

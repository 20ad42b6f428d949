"""What both transports do with an export: decode, transform, queue, wait for the commit."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from ccotel.otlp.decode import (
    Batch,
    Encoding,
    Signal,
    decode_message,
    decode_request,
    parse_message,
)
from ccotel.selfmetrics import ServerMetrics
from ccotel.store.writer import Writer, WriteResult


class Ingestor:
    def __init__(self, writer: Writer, metrics: ServerMetrics,
                 transform: Callable[[Batch], None] | None = None,
                 keep_requests: bool = False) -> None:
        self.writer = writer
        self.keep_requests = keep_requests  # `serve --forward`: the outbox needs the request
        self.metrics = metrics
        self.transform = transform
        # Decoding holds the GIL, so a second thread would only contend for it; the writer
        # thread runs beside this one while DuckDB works.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccotel-decode")

    async def decode(self, signal: Signal, body: bytes, encoding: Encoding) -> Batch:
        # Decoding is CPU work: off the event loop, so health checks stay responsive.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._prepare, signal, body, encoding)

    def _prepare(self, signal: Signal, body: bytes, encoding: Encoding) -> Batch:
        if not self.keep_requests:
            batch = decode_request(signal, body, encoding)
        else:
            msg = parse_message(signal, body, encoding)
            batch = decode_message(signal, msg)
            batch.request = body if encoding == "protobuf" else msg.SerializeToString()
        if self.transform is not None:
            self.transform(batch)
        return batch

    async def store(self, batch: Batch) -> WriteResult:
        """Queue the batch (raises Overloaded at once) and wait for its commit."""
        return await asyncio.wrap_future(self.writer.submit(batch))

"""What both transports do with an export: decode, transform, queue, wait for the commit."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from ccotel.otlp.decode import Encoding
from ccotel.otlp.prepare import Decoder, Prepare
from ccotel.selfmetrics import ServerMetrics
from ccotel.store.rows import Batch, Signal
from ccotel.store.writer import Writer, WriteResult


class Ingestor:
    def __init__(self, writer: Writer, metrics: ServerMetrics,
                 decoder: Decoder | None = None, keep_requests: bool = False) -> None:
        """`decoder`: a `Prepare`, or the decoding process running one (`worker.py`);
        `keep_requests` as the Prepare's."""
        self.writer = writer
        self.metrics = metrics
        self.decoder: Decoder = decoder or Prepare(keep_requests=keep_requests)
        self.keep_requests = keep_requests
        # One thread: one request's parse in memory at a time (in the decoding process,
        # this thread waits for it without the interpreter lock).
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ccotel-decode")

    async def decode(self, signal: Signal, body: bytes | bytearray, encoding: Encoding
                     ) -> Batch:
        """The rows of one export; raises DecodeError, or bounds.TooMuchWork for more
        records or nested values than one export may hold (counted before parsing)."""
        # Decoding is CPU work: off the event loop, so health checks stay responsive.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._decode, signal, body, encoding)

    def _decode(self, signal: Signal, body: bytes | bytearray, encoding: Encoding) -> Batch:
        batch = self.decoder(signal, body, encoding)
        if self.keep_requests and encoding == "protobuf":
            batch.request = bytes(body)
        return batch

    async def store(self, batch: Batch, size: int) -> WriteResult:
        """Queue the batch decoded from `size` bytes (raises Overloaded at once) and wait
        for its commit."""
        return await asyncio.wrap_future(self.writer.submit(batch, size))

"""What decoding an export is, wherever it runs (the server's process or the decoding
process, `worker.py`): its records counted on the wire, decoded, transformed (redacted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from ccotel.otlp import bounds
from ccotel.otlp.decode import Encoding, decode_message, decode_request, parse_message
from ccotel.store.handover import to_columns
from ccotel.store.rows import Batch, Signal

# An export's rows from its signal, body and encoding: a `Prepare`, or the decoding process
# running one.
Decoder = Callable[[Signal, bytes | bytearray, Encoding], Batch]


class Prepare:
    """An export's rows: its records counted on the wire, decoded, transformed (redacted).
    Holds nothing but its settings, so that it runs as well in the decoding process
    (`worker.py`) as in the server's."""

    def __init__(self, transform: Callable[[Batch], None] | None = None,
                 limits: bounds.Limits | None = None, keep_requests: bool = False) -> None:
        self.transform = transform
        self.limits = limits or bounds.Limits()
        self.keep_requests = keep_requests  # `serve --forward`: the outbox needs the request
        # The writer's layout of the events table (`columns.Layout`'s names and kinds), once
        # the store is open: events then leave as column buffers (`handover.to_columns`).
        self.event_layout: tuple[tuple[str, ...], bytes] | None = None

    def __call__(self, signal: Signal, body: bytes | bytearray, encoding: Encoding) -> Batch:
        """Raises DecodeError, or bounds.TooMuchWork for more records or nested values than
        one export may hold (counted before parsing). A protobuf export's request is not
        kept here: the caller has its bytes."""
        bounds.check(signal, body, encoding, self.limits)
        if encoding == "protobuf":  # its records were counted on the wire
            batch = decode_request(signal, cast(bytes, body), encoding)  # any buffer: no copy
        else:
            msg = parse_message(signal, cast(bytes, body), encoding)
            bounds.check_records(msg, self.limits)
            batch = decode_message(signal, msg)
            if self.keep_requests:
                batch.request = msg.SerializeToString()
        if self.transform is not None:
            self.transform(batch)
        if self.event_layout is not None:
            to_columns(batch, *self.event_layout)
        return batch

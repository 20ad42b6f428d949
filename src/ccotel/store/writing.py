"""The mark of a write function: code that changes the store runs only on the writer.

Every write is a function of the write connection that `Writer.write` (or `write_sync`)
runs on the one writer thread, in the transaction the writer opens and commits. Such a
function, wherever it lives (its owner: the importer, the outbox, the alert state, the
limit snapshots), is marked `@writes`: called anywhere but inside the writer it raises at
once, instead of writing on a reader's cursor beside the writer (a write-write conflict,
or rows that skip the rollups). `tests/store/test_write_owner.py` checks that every
statement that changes the store outside the writer's own modules is inside one.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_state = threading.local()  # .writing: this thread is running a write function now


class NotOnWriter(RuntimeError):
    """A write function was called outside the writer (a bug, never the data's fault)."""


def writing() -> bool:
    """Whether this thread is running a write function for the writer."""
    return bool(getattr(_state, "writing", False))


@contextmanager
def running() -> Iterator[None]:
    """The writer's side: write functions may run inside (see `Writer`)."""
    before = writing()
    _state.writing = True
    try:
        yield
    finally:
        _state.writing = before


def writes(fn: Callable[P, T]) -> Callable[P, T]:
    """Mark `fn` (given the write connection) as a write function: it runs only when the
    writer runs it."""

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        if not writing():
            raise NotOnWriter(f"{fn.__module__}.{fn.__qualname__} changes the store: hand it "
                              "to the writer (Writer.write / write_sync)")
        return fn(*args, **kwargs)

    return guarded

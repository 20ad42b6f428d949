"""Reads shared by the panels asked for together (`/api/v1/dashboard`).

Several panels read the same rows: Total Cost, Tokens by Type and Cache Hit Ratio the same
sums, Cost by Model and Cost by User the same requests grouped two more ways, the named
attribution breakdowns (skill, subagent, MCP server, ...) the same hours and daily rows.
Asked for one at a time, each reads them again. Inside `together(panels)` a read that can
serve several of them runs once, for every panel of the batch that needs it, and the others
take its result (`once`): a statement, not one per panel.

Nothing outlives the batch: it is a memo of one request's reads, on one cursor, in one
thread (a context variable), never a cache between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Batch:
    panels: frozenset[str]                        # the panel ids asked for together
    results: dict[Hashable, Any] = field(default_factory=dict)


_current: ContextVar[Batch | None] = ContextVar("ccotel_batch", default=None)


@contextmanager
def together(panels: Iterable[str]) -> Iterator[Batch]:
    """Within it, the panels `panels` are being read together: shared reads run once."""
    token = _current.set(Batch(frozenset(panels)))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def current() -> Batch | None:
    """The batch being read, or None: a panel asked for alone."""
    return _current.get()


def shared() -> Batch | None:
    """The batch being read when it reads several panels, else None: a panel alone in its
    batch reads as when asked for alone (its own, cheaper, statements)."""
    b = _current.get()
    return b if b is not None and len(b.panels) > 1 else None


def once(key: Hashable, read: Callable[[], T]) -> T:
    """`read()`'s result, run once per `key` in the current batch (every time outside
    one)."""
    b = _current.get()
    if b is None:
        return read()
    if key not in b.results:
        b.results[key] = read()
    return b.results[key]  # type: ignore[no-any-return]

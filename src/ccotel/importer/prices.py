"""genai-prices' tables, loaded in a helper process while a first import starts.

Loading the library takes about 0.17 s of CPU (pydantic models, its HTTP client). A bulk
import needs the rates only once DuckDB has read the transcripts, and that read keeps two
cores busy: loaded in a thread meanwhile, the library slowed the read by about as much as
it cost. Started with the command, in a process of its own, it loads on the core that the
single-threaded start-up (imports, opening the store, listing files) leaves idle.

Only the per-token rates of each (model, speed, day) come back; a table that is not
linear ("library") is priced row by row in the importing process, as before.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

Combo = tuple[str, bool, date]  # model, fast speed, UTC day


class RatesHelper:
    """A helper process that loads genai-prices at once and resolves rates on request."""

    def __init__(self) -> None:
        # The platform's default start method: fork on Linux (nothing to import again; no
        # thread runs yet), spawn where forking is unsafe.
        ctx = multiprocessing.get_context()
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="ccotel-prices",
                                 daemon=True)
        self._proc.start()
        child.close()

    def __call__(self, combos: list[Combo]) -> tuple[list[Any], set[str]]:
        """Rates for each combination (PicoRates; None: no price; "library"), and the
        models without a price. Raises if the helper failed (the caller prices itself)."""
        self._conn.send(combos)
        result = self._conn.recv()
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the helper, loading or not: an import that did not need it does not wait."""
        self._conn.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(timeout=5)


def _serve(conn: Connection) -> None:
    from ccotel.claude.pricing import Pricer, preload

    with contextlib.suppress(Exception):  # a failure shows where the rates are used
        preload()
    while True:
        try:
            combos = conn.recv()
        except (EOFError, OSError):
            return
        try:
            pricer = Pricer()
            rates = [pricer.pico_rates(model, day, "fast" if fast else None)
                     for model, fast, day in combos]
            conn.send((rates, pricer.unpriced))
        except Exception as exc:  # handed back, raised there
            conn.send(exc)

"""How `ccotel serve` opens its store (`server.open_store`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ccotel.server import open_store
from ccotel.settings import Settings


def test_arrow_batches_come_from_the_c_allocator(tmp_path: Path) -> None:
    """The writer's Arrow batches are allocated by the C library's malloc, which hands
    large blocks back when they are freed, not by pyarrow's default pool (mimalloc), which
    keeps them mapped: the server's peak memory under ingest (bench/ingest.py)."""
    before = pa.default_memory_pool()
    try:
        con = open_store(Settings(data_dir=tmp_path))
        try:
            system = pa.system_memory_pool()
            assert pa.default_memory_pool().backend_name == "system"
            held = system.bytes_allocated()
            batch = pa.array([{"event_key": f"k{i}", "n": i} for i in range(10_000)])
            assert system.bytes_allocated() >= held + batch.nbytes
            del batch
            assert system.bytes_allocated() == held
        finally:
            con.close()
    finally:
        pa.set_memory_pool(before)

"""Memory under overload: a live `ccotel serve` with a tiny write queue, offered far more
OTLP/HTTP and OTLP/gRPC exports than it can commit (the clients of
tests/reliability/test_backpressure.py). The write queue is bounded, so memory must stay
bounded too, however much is offered.

    python bench/backpressure.py [--seconds 8]

Baseline, in the same run: the server's RSS once it has committed one export, idle.
Last line: rss_idle_mb=<I> rss_peak_mb=<P> peak_ratio=<P/I> growth_mb=<G>
(G: how far the last third of the run rose above the first third; goals: peak_ratio well
under 6, growth_mb under 128.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.conftest import serve  # noqa: E402
from tests.reliability.test_backpressure import (  # noqa: E402
    GRPC_CLIENTS,
    HTTP_CLIENTS,
    RECORDS_PER_REQUEST,
    Tally,
    _grpc_client,
    _http_client,
    logs_body,
)


def _sample(pid: int, stop: threading.Event, samples: list[int]) -> None:
    proc = psutil.Process(pid)
    while not stop.is_set():
        samples.append(proc.memory_info().rss)
        stop.wait(0.1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srv = serve(Path(tmp) / "data", "--max-queue", "2")
        try:
            bodies = [logs_body(RECORDS_PER_REQUEST) for _ in range(8)]
            resp = httpx.post(f"{srv.http}/v1/logs", content=bodies[0], timeout=60,
                              headers={"content-type": "application/x-protobuf"})
            resp.raise_for_status()
            time.sleep(1.0)
            idle = psutil.Process(srv.proc.pid).memory_info().rss
            rss: list[int] = []
            done = threading.Event()
            sampler = threading.Thread(target=_sample, args=(srv.proc.pid, done, rss),
                                       daemon=True)
            sampler.start()
            http_t, grpc_t = Tally(), Tally()

            async def overload() -> None:
                stop = time.monotonic() + args.seconds
                await asyncio.gather(
                    *(_http_client(srv.http, bodies, stop, http_t) for _ in range(HTTP_CLIENTS)),
                    *(_grpc_client(srv.grpc, bodies, stop, grpc_t) for _ in range(GRPC_CLIENTS)))

            asyncio.run(overload())
            done.set()
            sampler.join()
        finally:
            srv.stop()
    third = max(1, len(rss) // 3)
    growth = max(0, max(rss[-third:]) - max(rss[:third]))
    peak = max(rss)
    mib = 2**20
    print(f"rss_idle_mb={idle / mib:.0f} rss_peak_mb={peak / mib:.0f} "
          f"peak_ratio={peak / idle:.2f} growth_mb={growth / mib:.0f}")


if __name__ == "__main__":
    main()

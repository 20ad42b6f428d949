"""Decoding alone: the CPU per record of turning one of `bench/ingest.py`'s log exports
into rows, with each reader and attribute splitter ccotel has, alternated in this process.

    upb + Python split    the general path (`CCOTEL_WIRE=0`)
    C read + Python split the compiled reader with `decode._py_split_pairs`
    C read + C split      what `ccotel serve` runs when the reader is built

Same export, same process, rounds alternated, the median of each: the ratio to the
general path does not depend on the machine's speed or load.

    python bench/decode.py [--rounds 7] [--batch 500]

Last line: compiled_us_per_record=<C read + C split> python_split_us_per_record=<C read +
Python split> general_us_per_record=<upb> ratio=<compiled / general>
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest  # bench/ingest.py, beside this file

from ccotel.otlp import decode


def positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text}: at least 1")
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=positive, default=7)
    ap.add_argument("--batch", type=positive, default=500)
    args = ap.parse_args()
    if decode.WIRE is None:
        print("the compiled reader is not built (or CCOTEL_WIRE=0): nothing to compare",
              file=sys.stderr)
        return 1
    req = ingest.logs_template(args.batch, time.time_ns())
    body = req.SerializeToString().replace(ingest.PLACEHOLDER.encode(),
                                           str(uuid.uuid4()).encode())
    compiled = decode.WIRE.split_pairs

    def general() -> None:
        decode.decode_request("logs", body, "protobuf", wire=False)

    def fast() -> None:
        decode.decode_request("logs", body, "protobuf")

    ways: dict[str, tuple[Callable[[], None], Callable[..., object]]] = {
        "general": (general, decode._py_split_pairs),
        "python_split": (fast, decode._py_split_pairs),
        "compiled": (fast, compiled)}
    times: dict[str, list[float]] = {name: [] for name in ways}
    reps = max(1, 20_000 // args.batch)
    try:
        for _ in range(args.rounds):
            for name, (run, splitter) in ways.items():
                decode._split_pairs = splitter  # type: ignore[assignment]
                run()
                t = time.perf_counter()
                for _ in range(reps):
                    run()
                times[name].append((time.perf_counter() - t) / reps / args.batch * 1e6)
    finally:
        decode._split_pairs = compiled
    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"compiled_us_per_record={med['compiled']:.2f} "
          f"python_split_us_per_record={med['python_split']:.2f} "
          f"general_us_per_record={med['general']:.2f} "
          f"ratio={med['compiled'] / med['general']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`ccotel import` does not wait for genai-prices when it does not need the rates: closing
the helper process that loads them (importer/prices.py) takes far less than loading them.

    python bench/prices_close.py [--runs 5]

Baseline, in the same run: a helper's first answer (loading the tables included).
Last line: close_s=<C> load_s=<L> ratio=<C/L>  (medians; goal: ratio well under 1)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ccotel.importer.prices import RatesHelper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    closes, loads = [], []
    for _ in range(args.runs):
        helper = RatesHelper()
        t0 = time.perf_counter()
        helper.close()
        closes.append(time.perf_counter() - t0)
        helper = RatesHelper()
        t0 = time.perf_counter()
        helper([("claude-opus-4-6", False, date(2026, 6, 1))])
        loads.append(time.perf_counter() - t0)
        helper.close()
    close, load = statistics.median(closes), statistics.median(loads)
    print(f"close_s={close:.4f} load_s={load:.4f} ratio={close / load:.3f}")


if __name__ == "__main__":
    main()

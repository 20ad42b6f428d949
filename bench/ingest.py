"""Ingest throughput: Claude-shaped event batches over OTLP/gRPC into a live `ccotel serve`.

A separate sender process keeps several exports in flight for a fixed time; only events
acknowledged (committed) count, and the store is checked afterwards to hold them all.

    python bench/ingest.py [--seconds 20] [--batch 500] [--inflight 8]

Last line: events_per_s=<N> rss_mb=<M>  (M: peak RSS of the server process)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import grpc
import psutil
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from tests.conftest import start_server

PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
METHOD = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


def template(batch: int, now: int | None = None) -> bytes:
    """One export of `batch` events shaped like Claude Code's (api_request, tool_result,
    user_prompt), all in a placeholder session replaced per request."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    for k, v in (("service.name", "claude-code"), ("service.version", "2.1.332"),
                 ("os.type", "linux"), ("host.arch", "amd64")):
        rl.resource.attributes.append(KeyValue(key=k, value=AnyValue(string_value=v)))
    sl = rl.scope_logs.add()
    sl.scope.name = "com.anthropic.claude_code.events"
    now = now or time.time_ns()
    for seq in range(batch):
        kind = ("api_request", "tool_result", "user_prompt")[seq % 3]
        rec = sl.log_records.add(time_unix_nano=now + seq * 1000,
                                 observed_time_unix_nano=now + seq * 1000)
        rec.body.string_value = f"claude_code.{kind}"
        attrs: list[tuple[str, AnyValue]] = [
            ("user.id", AnyValue(string_value="667539a78244cc62d069b06779959dcd419769e91f51ec8a")),
            ("session.id", AnyValue(string_value=PLACEHOLDER)),
            ("terminal.type", AnyValue(string_value="xterm")),
            ("anthropic.provider", AnyValue(string_value="firstParty")),
            ("event.name", AnyValue(string_value=kind)),
            ("event.timestamp", AnyValue(string_value="2026-11-27T04:18:49.641Z")),
            ("event.sequence", AnyValue(int_value=seq)),
            ("prompt.id", AnyValue(string_value="0733b361-b87c-4498-988f-561910c9c017")),
        ]
        if kind == "api_request":
            attrs += [("model", AnyValue(string_value="claude-opus-5-5")),
                      ("input_tokens", AnyValue(int_value=1200)),
                      ("output_tokens", AnyValue(int_value=42)),
                      ("cache_read_tokens", AnyValue(int_value=5000)),
                      ("cache_creation_tokens", AnyValue(int_value=300)),
                      ("cost_usd", AnyValue(double_value=0.00814)),
                      ("cost_usd_micros", AnyValue(int_value=8140)),
                      ("duration_ms", AnyValue(int_value=33)),
                      ("ttft_ms", AnyValue(int_value=9)),
                      ("request_id", AnyValue(string_value=f"req_{seq}")),
                      ("speed", AnyValue(string_value="normal")),
                      ("query_source", AnyValue(string_value="sdk")),
                      ("effort", AnyValue(string_value="medium"))]
        elif kind == "tool_result":
            attrs += [("tool_name", AnyValue(string_value="Bash")),
                      ("tool_use_id", AnyValue(string_value=f"toolu_{seq}")),
                      ("success", AnyValue(string_value="true")),
                      ("duration_ms", AnyValue(string_value="23")),
                      ("tool_input_size_bytes", AnyValue(string_value="60")),
                      ("tool_result_size_bytes", AnyValue(string_value="15"))]
        else:
            attrs += [("prompt_length", AnyValue(string_value="14")),
                      ("prompt", AnyValue(string_value="<REDACTED>"))]
        for k, v in attrs:
            rec.attributes.append(KeyValue(key=k, value=v))
    return req.SerializeToString()


def sender(target: str, seconds: float, batch: int, inflight: int, out: mp.Queue) -> None:
    ph = PLACEHOLDER.encode()
    # Unique sessions per request, made before the clock starts: the sender must not be
    # what limits the measurement (60k events/s worth of requests). Time moves on as it
    # does for real clients: every 20 requests start 50 ms later.
    count = int(60_000 * seconds / batch) + inflight
    t0 = time.time_ns()
    templates = [template(batch, t0 + i * 50_000_000) for i in range(count // 20 + 1)]
    bodies = [templates[i // 20].replace(ph, str(uuid.uuid4()).encode()) for i in range(count)]
    bodies.reverse()  # pop() from the end sends them in time order
    acked = refused = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        nonlocal acked, refused
        with grpc.insecure_channel(target) as ch:
            call = ch.unary_unary(METHOD)
            while time.monotonic() < deadline:
                with lock:
                    if not bodies:
                        return
                    data = bodies.pop()
                try:
                    call(data, timeout=30)
                    with lock:
                        acked += batch
                except grpc.RpcError as exc:
                    with lock:
                        refused += batch
                    if exc.code() == grpc.StatusCode.UNAVAILABLE:
                        time.sleep(0.05)

    threads = [threading.Thread(target=loop) for _ in range(inflight)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((acked, refused, time.monotonic() - t0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--inflight", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        srv = start_server(Path(tmp) / "data")
        proc = psutil.Process(srv.proc.pid)
        peak = 0.0
        out: mp.Queue = mp.Queue()
        p = mp.Process(target=sender, args=(srv.grpc, args.seconds, args.batch, args.inflight, out))
        p.start()
        while p.is_alive():
            peak = max(peak, proc.memory_info().rss / 2**20)
            time.sleep(0.2)
        acked, refused, elapsed = out.get()
        p.join()
        peak = max(peak, proc.memory_info().rss / 2**20)
        srv.stop()
        from ccotel.store import schema

        con = schema.connect(Path(tmp) / "data", read_only=True)
        (stored,) = con.execute("SELECT count(*) FROM events").fetchone()
        con.close()
        print(f"acked={acked} refused={refused} stored={stored} seconds={elapsed:.1f}",
              file=sys.stderr)
        if stored != acked:
            print(f"MISMATCH: {acked} events acknowledged, {stored} stored", file=sys.stderr)
            sys.exit(1)
        print(f"events_per_s={stored / elapsed:.0f} rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()

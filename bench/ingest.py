"""Ingest throughput: Claude-shaped exports into a live `ccotel serve`, against the rate one
Python core merely parses and flattens the same exports, measured in the same run.

A separate sender process keeps several exports in flight for a fixed time; only records
acknowledged (committed) count, and the store is checked afterwards to hold them all.

The ceiling is one core doing the least any decoder must: parse each export
(protobuf `ParseFromString`; for OTLP/JSON `json.loads`) and flatten every record (walk its
attributes into one key -> value dict). It is measured in this process, the server up and
idle, between rounds of sending: the sending time is cut into `--rounds` rounds, each
between two measures of the ceiling (`--ceiling-seconds` each), because one core's speed
on this kind of machine changes from one second to the next; each round's rate is compared
with the mean of the two measures beside it.

Before/after the compiled wire decoder: `CCOTEL_WIRE=0` makes the server decode every
export through upb (the general path); `CCOTEL_COLUMNS=0` makes its writer build Arrow
tables with pyarrow alone.

    python bench/ingest.py [--seconds 20] [--batch 500] [--inflight 8] [--rounds 10]
                           [--ceiling-seconds 0.5]
                           [--transport grpc|http-protobuf|http-json] [--signal logs|metrics]
                           [--cumulative]

Last line: events_per_s=<N> ceiling_per_s=<C> ratio=<R> rss_mb=<M>
(N: records committed per second of sending; C: the mean of the ceiling's measures; R:
the median over the rounds of each round's rate against the ceiling beside it; M: peak
RSS of the server process plus what its decoding process holds alone, its USS)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc
import psutil
from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from tests.conftest import start_server

PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
METHODS = {"logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
           "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"}
RESOURCE = (("service.name", "claude-code"), ("service.version", "2.1.332"),
            ("os.type", "linux"), ("host.arch", "amd64"))
STANDARD = (("user.id", "667539a78244cc62d069b06779959dcd419769e91f51ec8a"),
            ("session.id", PLACEHOLDER), ("terminal.type", "xterm"),
            ("anthropic.provider", "firstParty"))


def _kvs(target: Any, pairs: Any) -> None:
    for k, v in pairs:
        target.append(KeyValue(key=k, value=v if isinstance(v, AnyValue)
                               else AnyValue(string_value=v)))


def logs_template(batch: int, now: int) -> Message:
    """One export of `batch` events shaped like Claude Code's (api_request, tool_result,
    user_prompt), all in a placeholder session replaced per request."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    _kvs(rl.resource.attributes, RESOURCE)
    sl = rl.scope_logs.add()
    sl.scope.name = "com.anthropic.claude_code.events"
    for seq in range(batch):
        kind = ("api_request", "tool_result", "user_prompt")[seq % 3]
        rec = sl.log_records.add(time_unix_nano=now + seq * 1000,
                                 observed_time_unix_nano=now + seq * 1000)
        rec.body.string_value = f"claude_code.{kind}"
        attrs: list[tuple[str, Any]] = [
            *STANDARD,
            ("event.name", kind),
            ("event.timestamp", "2026-11-27T04:18:49.641Z"),
            ("event.sequence", AnyValue(int_value=seq)),
            ("prompt.id", "0733b361-b87c-4498-988f-561910c9c017"),
        ]
        if kind == "api_request":
            attrs += [("model", "claude-opus-5-5"),
                      ("input_tokens", AnyValue(int_value=1200)),
                      ("output_tokens", AnyValue(int_value=42)),
                      ("cache_read_tokens", AnyValue(int_value=5000)),
                      ("cache_creation_tokens", AnyValue(int_value=300)),
                      ("cost_usd", AnyValue(double_value=0.00814)),
                      ("cost_usd_micros", AnyValue(int_value=8140)),
                      ("duration_ms", AnyValue(int_value=33)),
                      ("ttft_ms", AnyValue(int_value=9)),
                      ("request_id", f"req_{seq}"),
                      ("speed", "normal"), ("query_source", "sdk"), ("effort", "medium")]
        elif kind == "tool_result":
            attrs += [("tool_name", "Bash"), ("tool_use_id", f"toolu_{seq}"),
                      ("success", "true"), ("duration_ms", "23"),
                      ("tool_input_size_bytes", "60"), ("tool_result_size_bytes", "15")]
        else:
            attrs += [("prompt_length", "14"), ("prompt", "<REDACTED>")]
        _kvs(rec.attributes, attrs)
    return req


_SERIES = (("claude_code.token.usage", "tokens", "input"),
           ("claude_code.token.usage", "tokens", "output"),
           ("claude_code.token.usage", "tokens", "cacheRead"),
           ("claude_code.token.usage", "tokens", "cacheCreation"),
           ("claude_code.cost.usage", "USD", None))


def metrics_template(batch: int, now: int, temporality: int) -> Message:
    """One export of `batch` sum points shaped like Claude Code's token and cost counters
    (its attributes, its scope), for one placeholder session: each series gets a point
    every millisecond of the export's span (distinct times, so every point is stored)."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    _kvs(rm.resource.attributes, RESOURCE)
    sm = rm.scope_metrics.add()
    sm.scope.name, sm.scope.version = "com.anthropic.claude_code", "2.1.332"
    per_series = -(-batch // len(_SERIES))
    made = 0
    for name, unit, typ in _SERIES:
        m = sm.metrics.add(name=name, unit=unit)
        m.sum.aggregation_temporality = temporality
        m.sum.is_monotonic = True
        for i in range(min(per_series, batch - made)):
            dp = m.sum.data_points.add(start_time_unix_nano=now - 10**9,
                                       time_unix_nano=now + i * 1_000_000)
            dp.as_double = float(i + 1) * (0.01 if typ is None else 100)
            attrs: list[tuple[str, Any]] = [
                *STANDARD, ("anthropic.custom_base_url", AnyValue(bool_value=True)),
                ("model", "claude-opus-5-5"), ("query_source", "main"), ("effort", "medium")]
            if typ is not None:
                attrs.append(("type", typ))
            _kvs(dp.attributes, attrs)
            made += 1
    return req


# --- the ceiling: parse + walk every attribute, one core ----------------------------------


def _walk_value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_walk_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _walk_value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def _walk_protobuf(signal: str, body: bytes) -> int:
    """Parse one export and flatten every record: its attributes as one dict (key ->
    value) and its body; returns the records."""
    if signal == "logs":
        logs = ExportLogsServiceRequest()
        logs.ParseFromString(body)
        n = 0
        for rl in logs.resource_logs:
            for kv in rl.resource.attributes:
                _walk_value(kv.value)
            for sl in rl.scope_logs:
                for rec in sl.log_records:
                    n += 1
                    _walk_value(rec.body)
                    {kv.key: _walk_value(kv.value) for kv in rec.attributes}
        return n
    metrics = ExportMetricsServiceRequest()
    metrics.ParseFromString(body)
    n = 0
    for rm in metrics.resource_metrics:
        for kv in rm.resource.attributes:
            _walk_value(kv.value)
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                for dp in getattr(m, kind).data_points if kind else ():
                    n += 1
                    dp.as_double  # noqa: B018  (the value is read as the attributes are)
                    {kv.key: _walk_value(kv.value) for kv in dp.attributes}
    return n


def _walk_json_value(v: dict[str, Any]) -> Any:
    for kind, val in v.items():
        if kind == "arrayValue":
            return [_walk_json_value(x) for x in val.get("values", ())]
        if kind == "kvlistValue":
            return {kv["key"]: _walk_json_value(kv.get("value", {}))
                    for kv in val.get("values", ())}
        return val
    return None


def _walk_json(signal: str, body: bytes) -> int:
    """`json.loads` one OTLP/JSON export and flatten every record, as `_walk_protobuf`."""
    data = json.loads(body)
    n = 0
    if signal == "logs":
        for rl in data.get("resourceLogs", ()):
            for kv in rl.get("resource", {}).get("attributes", ()):
                _walk_json_value(kv["value"])
            for sl in rl.get("scopeLogs", ()):
                for rec in sl.get("logRecords", ()):
                    n += 1
                    _walk_json_value(rec.get("body", {}))
                    {kv["key"]: _walk_json_value(kv["value"]) for kv in rec.get("attributes", ())}
        return n
    for rm in data.get("resourceMetrics", ()):
        for kv in rm.get("resource", {}).get("attributes", ()):
            _walk_json_value(kv["value"])
        for sm in rm.get("scopeMetrics", ()):
            for m in sm.get("metrics", ()):
                for kind in ("sum", "gauge", "histogram"):
                    for dp in m.get(kind, {}).get("dataPoints", ()):
                        n += 1
                        dp.get("asDouble")
                        {kv["key"]: _walk_json_value(kv["value"])
                         for kv in dp.get("attributes", ())}
    return n


def ceiling(signal: str, bodies: list[bytes], encoding: str, seconds: float
            ) -> tuple[float, float]:
    """Records one core parses and flattens, cycling through `bodies`: per second, and
    per CPU second (what the core does when it is not shared)."""
    walk: Callable[[str, bytes], int] = _walk_json if encoding == "json" else _walk_protobuf
    done = i = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - t0) < seconds:
        done += walk(signal, bodies[i % len(bodies)])
        i += 1
    return done / elapsed, done / (time.process_time() - c0)


# --- the sender ---------------------------------------------------------------------------


def make_bodies(signal: str, transport: str, count: int, batch: int, temporality: int
                ) -> list[bytes]:
    """`count` export bodies in time order, each of its own session, made before the
    clock starts (the sender must not be what limits the measurement). Time moves on as
    it does for real clients: every 20 requests start 50 ms later."""
    ph = PLACEHOLDER.encode()
    t0 = time.time_ns()
    templates = []
    for i in range(count // 20 + 1):
        now = t0 + i * 50_000_000
        msg = (logs_template(batch, now) if signal == "logs"
               else metrics_template(batch, now, temporality))
        templates.append(json_format.MessageToJson(msg, indent=None).encode()
                         if transport == "http-json" else msg.SerializeToString())
    return [templates[i // 20].replace(ph, str(uuid.uuid4()).encode()) for i in range(count)]


def sender(signal: str, transport: str, target: str, seconds: float, batch: int,
           inflight: int, temporality: int, rounds: int,
           go: mp.Queue, out: mp.Queue) -> None:
    """Sends for `seconds` in all, in `rounds` rounds: each starts when `go` says so and
    ends with its (acked, refused, seconds) on `out`, every export of it answered."""
    count = int(80_000 * seconds / batch) + inflight * rounds
    bodies = make_bodies(signal, transport, count, batch, temporality)
    bodies.reverse()  # pop() from the end sends them in time order
    acked = refused = 0
    lock = threading.Lock()
    deadline = 0.0

    def take() -> bytes | None:
        with lock:
            return bodies.pop() if bodies and time.monotonic() < deadline else None

    def tally(ok: bool) -> None:
        nonlocal acked, refused
        with lock:
            if ok:
                acked += batch
            else:
                refused += batch

    def grpc_loop(ch: grpc.Channel) -> None:
        call = ch.unary_unary(METHODS[signal])
        while (data := take()) is not None:
            try:
                call(data, timeout=30)
                tally(True)
            except grpc.RpcError as exc:
                tally(False)
                if exc.code() == grpc.StatusCode.UNAVAILABLE:
                    time.sleep(0.05)

    def http_loop(conn: http.client.HTTPConnection) -> None:
        ctype = "application/json" if transport == "http-json" else "application/x-protobuf"
        while (data := take()) is not None:
            conn.request("POST", f"/v1/{signal}", body=data,
                         headers={"Content-Type": ctype})
            resp = conn.getresponse()
            resp.read()
            tally(resp.status == 200)
            if resp.status == 503:
                time.sleep(0.05)

    # One channel (connection) per export in flight, kept from round to round.
    url = urlsplit(target)
    conns: list[Any] = [
        grpc.insecure_channel(target) if transport == "grpc" else
        http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        for _ in range(inflight)]
    loop: Callable[[Any], None] = grpc_loop if transport == "grpc" else http_loop  # type: ignore[assignment]
    for _ in range(rounds):
        go.get()
        acked = refused = 0
        t0 = time.monotonic()
        deadline = t0 + seconds / rounds
        threads = [threading.Thread(target=loop, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out.put((acked, refused, time.monotonic() - t0))
    for c in conns:
        c.close()


def _memory_mb(proc: psutil.Process, cpu: dict[int, float],
               parts: dict[str, float] | None = None) -> tuple[float, float]:
    """(the server's RSS plus what any child process holds alone, its USS; the plain sum
    of their RSS, which counts the libraries they share once per process), MB; notes the
    CPU seconds each has used so far in `cpu`, and the highest of the server's RSS and of
    its children's USS so far in `parts` ("server", "decoder")."""
    own = rss = 0
    children = 0.0
    for p in (proc, *proc.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            if p.pid == proc.pid:
                mem = p.memory_info()
                own += mem.rss
                if parts is not None:
                    parts["server"] = max(parts.get("server", 0.0), mem.rss / 2**20)
            else:
                mem = p.memory_full_info()
                own += mem.uss
                children += mem.uss / 2**20
            rss += mem.rss
            times = p.cpu_times()
            cpu[p.pid] = times.user + times.system
    if parts is not None:
        parts["decoder"] = max(parts.get("decoder", 0.0), children)
    return own / 2**20, rss / 2**20


def _thread_cpu(proc: psutil.Process) -> dict[int, float]:
    """CPU seconds each thread of the server has used so far, by OS thread id."""
    with contextlib.suppress(psutil.Error):
        return {t.id: t.user_time + t.system_time for t in proc.threads()}
    return {}


def _thread_names(pid: int) -> dict[int, str]:
    """OS thread id -> Python thread name, from `py-spy dump` when it is installed (the
    decode thread, the writer, the event loop; DuckDB's workers have none)."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return {}
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        out = subprocess.run([str(spy), "dump", "--pid", str(pid)], capture_output=True,
                             text=True, timeout=20).stdout
        return {int(m[1]): m[2] for m in re.finditer(r'Thread (\d+) \([^)]*\): "([^"]+)"', out)}
    return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--inflight", type=int, default=8)
    ap.add_argument("--transport", choices=("grpc", "http-protobuf", "http-json"),
                    default="grpc")
    ap.add_argument("--signal", choices=("logs", "metrics"), default="logs")
    ap.add_argument("--cumulative", action="store_true",
                    help="metrics as cumulative sums (Claude Code sends deltas)")
    ap.add_argument("--rounds", type=int, default=10,
                    help="rounds the sending time is cut into, each between two measures of "
                    "the ceiling")
    ap.add_argument("--ceiling-seconds", type=float, default=0.5,
                    help="how long each measure of the ceiling lasts")
    args = ap.parse_args()
    if args.rounds < 1 or args.ceiling_seconds <= 0 or args.seconds <= 0:
        ap.error("--rounds must be at least 1, --seconds and --ceiling-seconds above 0")
    temporality = 2 if args.cumulative else 1
    encoding = "json" if args.transport == "http-json" else "protobuf"
    sample = make_bodies(args.signal, args.transport, 40, args.batch, temporality)
    table = "events" if args.signal == "logs" else "points"

    def measure() -> tuple[float, float]:
        return ceiling(args.signal, sample, encoding, args.ceiling_seconds)

    with tempfile.TemporaryDirectory() as tmp:
        srv = start_server(Path(tmp) / "data")
        proc = psutil.Process(srv.proc.pid)
        server_pid = proc.pid
        peak = peak_rss = 0.0
        parts: dict[str, float] = {}
        cpu: dict[int, float] = {}
        go: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        target = srv.grpc if args.transport == "grpc" else srv.http
        p = mp.Process(target=sender, args=(
            args.signal, args.transport, target, args.seconds, args.batch, args.inflight,
            temporality, args.rounds, go, out))
        p.start()  # it makes its exports, then waits for the first round
        time.sleep(1)  # the server settled
        sender_proc = psutil.Process(p.pid)
        _memory_mb(proc, cpu)
        cpu_start = dict(cpu)  # the server's start is no part of the run
        threads_start = _thread_cpu(proc)
        sender_start = sum(sender_proc.cpu_times()[:2])
        names: dict[int, str] = {}
        first, first_cpu = measure()
        ceils, ceils_cpu = [first], [first_cpu]
        threads_end: dict[int, float] = {}
        rounds: list[tuple[int, int, float]] = []
        for r in range(args.rounds):
            go.put(r)
            while True:
                own, rss = _memory_mb(proc, cpu, parts)
                peak, peak_rss = max(peak, own), max(peak_rss, rss)
                try:
                    rounds.append(out.get(timeout=0.2))
                    break
                except queue.Empty:
                    if not names and r >= args.rounds // 2:
                        names = _thread_names(proc.pid)
            sender_cpu = sum(sender_proc.cpu_times()[:2]) - sender_start
            own, rss = _memory_mb(proc, cpu, parts)  # the server's CPU, before the ceiling
            peak, peak_rss = max(peak, own), max(peak_rss, rss)
            if r == args.rounds - 1:
                threads_end = _thread_cpu(proc)
            c, c_cpu = measure()
            ceils.append(c)
            ceils_cpu.append(c_cpu)
        p.join()
        srv.stop()
        from ccotel.store import schema

        con = schema.connect(Path(tmp) / "data", read_only=True)
        (stored,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        con.close()
    acked = sum(a for a, _, _ in rounds)
    refused = sum(f for _, f, _ in rounds)
    elapsed = sum(s for _, _, s in rounds)
    # Each round against the ceiling measured just before and just after it: the machine's
    # speed changes from one second to the next (the ceiling alone varies by a third), so
    # a rate is compared only with what the same core did beside it in time.
    ratios = sorted(a / s / ((ceils[i] + ceils[i + 1]) / 2)
                    for i, (a, _, s) in enumerate(rounds))
    ratio = statistics.median(ratios)
    ceil = statistics.mean(ceils)
    # CPU cost beside the wall-clock rates: records per CPU second of the server, against
    # the ceiling's per CPU second (less sensitive to a shared machine).
    used = {pid: t - cpu_start.get(pid, 0.0) for pid, t in cpu.items()}
    server_cpu = sum(used.values())
    decoder_cpu = server_cpu - used.get(server_pid, 0.0)
    print(f"{args.transport} {args.signal}: acked={acked} refused={refused} stored={stored} "
          f"seconds={elapsed:.1f} rounds={len(rounds)} ceiling_min={min(ceils):.0f} "
          f"ceiling_max={max(ceils):.0f} ratio_rounds={ratios[0]:.2f}-{ratios[-1]:.2f} "
          f"ratio_of_totals={acked / elapsed / ceil:.2f} "
          f"ceiling_per_cpu_s={statistics.mean(ceils_cpu):.0f} "
          f"server_per_cpu_s={stored / server_cpu:.0f} "
          f"server_cpu_s={server_cpu:.1f} "
          f"decoder_us_per_record={decoder_cpu / max(stored, 1) * 1e6:.1f} "
          f"sender_cpu_s={sender_cpu:.1f} "
          f"rss_sum_mb={peak_rss:.0f} server_rss_mb={parts.get('server', 0):.0f} "
          f"decoder_uss_mb={parts.get('decoder', 0):.0f} "
          f"load={os.getloadavg()[0]:.1f}", file=sys.stderr)
    # Where the server's CPU went, per thread: microseconds per record stored.
    per_thread = sorted(((t - threads_start.get(tid, 0.0)) / max(stored, 1) * 1e6, tid)
                        for tid, t in threads_end.items())
    print("threads_us_per_record=" + ",".join(
        f"{names.get(tid, tid)}:{us:.1f}" for us, tid in reversed(per_thread) if us >= 0.5),
        file=sys.stderr)
    if stored != acked:
        print(f"MISMATCH: {acked} records acknowledged, {stored} stored", file=sys.stderr)
        sys.exit(1)
    print(f"events_per_s={stored / elapsed:.0f} ceiling_per_s={ceil:.0f} ratio={ratio:.2f} "
          f"rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()

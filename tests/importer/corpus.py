"""Transcript corpora for the importer and report tests, made from real Claude Code lines.

`data/claude-2.1.332-session.jsonl` is one session the real CLI (2.1.332) wrote against
the stub API (`tests/e2e`), its long texts replaced by filler of the same length (the
shapes and sizes stay, Anthropic's prompt text does not). `capture_real_session()`
records it again (e2e), so a CLI upgrade that changes the shapes shows up.

`Corpus` scales those lines up: many sessions over several days and models, with every
way a request shows up more than once (one line per content block, a partial copy
before the complete one, `--resume` copies, exact duplicate lines, sidechain replays),
`<synthetic>` lines, a malformed line and an unfinished last line. It keeps its own
ground truth (`truth`): what a correct importer must count, per day and model.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "claude-2.1.332-session.jsonl"
FILLER = "lorem ipsum dolor sit amet "

# Priced by ccusage 20.0.24's offline snapshot and by genai-prices.
PRICED_MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101",
                 "claude-haiku-4-5-20251001")
# Newer than ccusage 20.0.24 (it reports missingPricing); genai-prices knows it.
NEW_MODEL = "claude-opus-5-5"


def scrub(value: Any) -> Any:
    """Long strings -> filler of the same length (keeps shapes and sizes, drops text)."""
    if isinstance(value, str) and len(value) > 120:
        return (FILLER * (len(value) // len(FILLER) + 1))[: len(value)]
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def dumps(d: Any) -> str:
    # Claude Code writes compact JSON; ccusage looks for the compact `"usage":{`.
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


def capture_real_session(tmp: Path) -> list[dict[str, Any]]:
    """Run the real CLI once against the stub (scenario 'basic') and return its transcript
    lines, scrubbed. Needs the pinned CLI (e2e)."""
    from tests.e2e.anthropic_stub import AnthropicStub
    from tests.e2e.claude_cli import run_claude

    home, cwd = tmp / "home", tmp / "work"
    cwd.mkdir(parents=True, exist_ok=True)
    with AnthropicStub("basic") as stub:
        result = run_claude("run it", stub_url=stub.url, home=home, cwd=cwd)
    files = result.transcripts()
    assert len(files) == 1, files
    return [scrub(json.loads(line)) for line in files[0].read_text().splitlines()]


def shape(d: Any) -> Any:
    """Key structure of a JSON value (types for leaves), to compare line shapes."""
    if isinstance(d, dict):
        return {k: shape(v) for k, v in sorted(d.items())}
    if isinstance(d, list):
        return [shape(d[0])] if d else []
    return type(d).__name__


@dataclass
class Templates:
    """Lines of the real session, by role."""

    header: list[dict[str, Any]]
    api_request: dict[str, Any]
    text: dict[str, Any]       # assistant line with a text block
    tool: dict[str, Any]       # assistant line with a tool_use block
    tool_result: dict[str, Any]  # user line answering it
    footer: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path = FIXTURE) -> Templates:
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        first_req = next(i for i, d in enumerate(lines) if d["type"] == "api-request")
        assistants = [d for d in lines if d["type"] == "assistant"]
        text = next(d for d in assistants if d["message"]["content"][0]["type"] == "text")
        tool = next(d for d in assistants if d["message"]["content"][0]["type"] == "tool_use")
        result = next(d for d in lines if d["type"] == "user"
                      and isinstance(d["message"]["content"], list))
        return cls(lines[:first_req], lines[first_req], text, tool, result,
                   [d for d in lines if d["type"] in ("last-prompt", "cost-state")])


@dataclass
class Usage:
    input: int
    output: int
    cache_read: int
    cache_5m: int
    cache_1h: int

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_5m + self.cache_1h

    def as_api(self, split: bool = True) -> dict[str, Any]:
        u: dict[str, Any] = {
            "input_tokens": self.input,
            "cache_creation_input_tokens": self.cache_5m + self.cache_1h,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": self.output,
            "service_tier": "standard",
        }
        if split:
            u["cache_creation"] = {"ephemeral_1h_input_tokens": self.cache_1h,
                                   "ephemeral_5m_input_tokens": self.cache_5m}
        return u


@dataclass
class Truth:
    """What must be counted: per (UTC day, model) token sums and request counts."""

    days: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    requests: list[tuple[datetime, str, Usage, str]] = field(default_factory=list)

    def add(self, ts: datetime, model: str, u: Usage, request_id: str) -> None:
        self.requests.append((ts, model, u, request_id))
        d = self.days[(ts.strftime("%Y-%m-%d"), model)]
        d["requests"] += 1
        d["inputTokens"] += u.input
        d["outputTokens"] += u.output
        d["cacheCreationTokens"] += u.cache_5m + u.cache_1h
        d["cacheReadTokens"] += u.cache_read

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for d in self.days.values():
            for k, v in d.items():
                out[k] += v
        return dict(out)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Corpus:
    """Writes sessions under `root` (a `projects` folder), keeping the truth."""

    def __init__(self, root: Path, seed: int = 7, templates: Templates | None = None,
                 content_bytes: int = 600) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.t = templates or Templates.load()
        self.truth = Truth()
        self.content_bytes = content_bytes
        self.written: list[dict[str, Any]] = []  # counted assistant entries, for replays
        self.stats: dict[str, int] = defaultdict(int)

    # -- lines ------------------------------------------------------------------------

    def _stamp(self, d: dict[str, Any], ts: datetime, session: str, cwd: str,
               branch: str) -> dict[str, Any]:
        d = dict(d)
        if "timestamp" in d:
            d["timestamp"] = _iso(ts)
        if "sessionId" in d:
            d["sessionId"] = session
        if "cwd" in d:
            d["cwd"] = cwd
        if "gitBranch" in d:
            d["gitBranch"] = branch
        if "uuid" in d:
            d["uuid"] = str(uuid.UUID(int=self.rng.getrandbits(128)))
        return d

    def _usage(self, big: bool = False) -> Usage:
        r = self.rng
        return Usage(input=r.randint(1, 4000), output=r.randint(5, 3000),
                     cache_read=r.randint(0, 150_000 if not big else 180_000),
                     cache_5m=r.choice([0, r.randint(0, 20_000)]),
                     cache_1h=r.choice([0, 0, r.randint(0, 8_000)]))

    def _assistant(self, template: dict[str, Any], ts: datetime, session: str, cwd: str,
                   branch: str, mid: str, rid: str | None, model: str, u: Usage, *,
                   sidechain: bool = False, split: bool = True) -> dict[str, Any]:
        d = self._stamp(template, ts, session, cwd, branch)
        msg = dict(d["message"])
        msg["id"] = mid
        msg["model"] = model
        msg["usage"] = u.as_api(split)
        content = [dict(c) for c in msg["content"]]
        for c in content:
            if c["type"] == "tool_use":
                c["id"] = "toolu_" + uuid.UUID(int=self.rng.getrandbits(128)).hex
            elif c["type"] == "text":
                c["text"] = self._filler(self.rng.randint(20, 400))
        msg["content"] = content
        d["message"] = msg
        if rid is None:
            d.pop("requestId", None)
        else:
            d["requestId"] = rid
        d["isSidechain"] = sidechain
        d["requestedModel"] = model
        return d

    def _filler(self, n: int) -> str:
        start = self.rng.randint(0, len(FILLER) - 1)
        return ((FILLER * (n // len(FILLER) + 2))[start:start + n])

    # -- sessions ---------------------------------------------------------------------

    def session(self, start: datetime, turns: int, *, project: str = "/home/dev/app",
                branch: str = "main", models: tuple[str, ...] = PRICED_MODELS,
                partial_copy_rate: float = 0.2, duplicate_line_rate: float = 0.05,
                synthetic_rate: float = 0.05, no_split_rate: float = 0.1,
                session_id: str | None = None) -> tuple[str, Path, list[str]]:
        """One main-thread session file; returns (session id, path, its lines)."""
        rng = self.rng
        sid = session_id or str(uuid.UUID(int=rng.getrandbits(128)))
        slug = project.replace("/", "-")
        path = self.root / slug / f"{sid}.jsonl"
        lines = [dumps(self._stamp(h, start, sid, project, branch)) for h in self.t.header]
        ts = start
        for _ in range(turns):
            ts += timedelta(seconds=rng.randint(5, 900))
            model = rng.choice(models)
            mid = "msg_" + uuid.UUID(int=rng.getrandbits(128)).hex[:24]
            rid = "req_" + uuid.UUID(int=rng.getrandbits(128)).hex[:24]
            u = self._usage()
            split = rng.random() >= no_split_rate
            lines.append(dumps(self._stamp(self.t.api_request, ts, sid, project, branch)))
            blocks = [self.t.text] + ([self.t.tool] if rng.random() < 0.6 else [])
            if rng.random() < partial_copy_rate:
                # An early copy written while the response streamed: fewer output tokens.
                early = Usage(u.input, 1, u.cache_read, u.cache_5m, u.cache_1h)
                lines.append(dumps(self._assistant(self.t.text, ts, sid, project, branch, mid,
                                                   rid, model, early, split=split)))
                self.stats["partial_copies"] += 1
            for i, b in enumerate(blocks):
                line_ts = ts + timedelta(milliseconds=3 * i)
                entry = self._assistant(b, line_ts, sid, project, branch, mid, rid, model, u,
                                        split=split)
                lines.append(dumps(entry))
                if rng.random() < duplicate_line_rate:
                    lines.append(lines[-1])
                    self.stats["duplicate_lines"] += 1
                if b is self.t.tool:
                    res = self._stamp(self.t.tool_result, line_ts, sid, project, branch)
                    msg = dict(res["message"])
                    msg["content"] = [dict(msg["content"][0],
                                           content=self._filler(self.content_bytes))]
                    res["message"] = msg
                    lines.append(dumps(res))
            self.truth.add(ts.astimezone(UTC), model, u, rid)
            self.written.append({"ts": ts, "sid": sid, "mid": mid, "rid": rid, "model": model,
                                 "usage": u, "project": project, "branch": branch,
                                 "split": split})
            if rng.random() < synthetic_rate:
                z = Usage(0, 0, 0, 0, 0)
                syn = self._assistant(self.t.text, ts + timedelta(seconds=1), sid, project,
                                      branch, str(uuid.UUID(int=rng.getrandbits(128))),
                                      None, "<synthetic>", z)
                lines.append(dumps(syn))
                self.stats["synthetic"] += 1
        lines += [dumps(self._stamp(f, ts, sid, project, branch)) for f in self.t.footer]
        return sid, path, lines

    def write(self, path: Path, lines: list[str], *, partial_tail: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
            if partial_tail is not None:
                f.write(partial_tail)

    def resumed_copy(self, count: int, start: datetime, project: str = "/home/dev/app"
                     ) -> tuple[str, Path, list[str]]:
        """A session made by `claude --resume`: the old responses copied in (same message
        and request ids, new session id), then new work of its own."""
        sid, path, lines = self.session(start, turns=3, project=project)
        copies = []
        for w in self.rng.sample(self.written[:-3], min(count, len(self.written) - 3)):
            copies.append(dumps(self._assistant(self.t.text, w["ts"], sid, project, w["branch"],
                                                w["mid"], w["rid"], w["model"], w["usage"],
                                                split=w["split"])))
        self.stats["resume_copies"] += len(copies)
        return sid, path, lines[: len(self.t.header)] + copies + lines[len(self.t.header):]

    def sidechain_log(self, parent_sid: str, project: str, replays: int, own: int
                      ) -> tuple[Path, list[str]]:
        """A `/btw` or subagent log under `<session>/subagents/`: replays of the parent's
        messages (same message id, new request id, more cache read; not counted) and
        responses of its own (counted)."""
        parents = [w for w in self.written if w["sid"] == parent_sid]
        lines = []
        slug = project.replace("/", "-")
        agent = f"agent-{self.rng.getrandbits(32):08x}.jsonl"
        path = self.root / slug / parent_sid / "subagents" / agent
        for w in self.rng.sample(parents, min(replays, len(parents))):
            u = w["usage"]
            inflated = Usage(u.input, u.output, u.cache_read + 50_000, u.cache_5m, u.cache_1h)
            rid = "req_" + uuid.UUID(int=self.rng.getrandbits(128)).hex[:24]
            lines.append(dumps(self._assistant(self.t.text, w["ts"] + timedelta(seconds=2),
                                               parent_sid, project, w["branch"], w["mid"], rid,
                                               w["model"], inflated, sidechain=True,
                                               split=w["split"])))
            self.stats["sidechain_replays"] += 1
        ts = parents[-1]["ts"] if parents else datetime.now(UTC)
        for _ in range(own):
            ts += timedelta(seconds=7)
            mid = "msg_" + uuid.UUID(int=self.rng.getrandbits(128)).hex[:24]
            rid = "req_" + uuid.UUID(int=self.rng.getrandbits(128)).hex[:24]
            model = self.rng.choice(PRICED_MODELS)
            u = self._usage()
            lines.append(dumps(self._assistant(self.t.text, ts, parent_sid, project, "main",
                                               mid, rid, model, u, sidechain=True)))
            self.truth.add(ts.astimezone(UTC), model, u, rid)
        return path, lines


def build_test_corpus(root: Path, *, seed: int = 7, days: int = 4, sessions_per_day: int = 3,
                      turns: int = 12, new_model: bool = True,
                      no_split_rate: float = 0.1) -> Corpus:
    """The corpus the tests compare against ccusage: every oddity at least once."""
    c = Corpus(root, seed=seed)
    base = datetime(2026, 10, 1, 20, 30, tzinfo=UTC)  # late: sessions cross midnight
    models = PRICED_MODELS + ((NEW_MODEL,) if new_model else ())
    projects = ("/home/dev/app", "/home/dev/lib", "/srv/tools")
    first: tuple[str, str] | None = None
    for day in range(days):
        for s in range(sessions_per_day):
            start = base + timedelta(days=day, hours=s * 1.5)
            project = projects[(day + s) % len(projects)]
            sid, path, lines = c.session(start, turns, project=project,
                                         branch=("main", "feature/x")[s % 2], models=models,
                                         no_split_rate=no_split_rate)
            partial = None
            if day == 1 and s == 0:
                # A response still being written when the import runs: no newline yet.
                partial = lines[-3][: len(lines[-3]) // 2]
                c.stats["partial_tail"] += 1
            if day == 2 and s == 1:
                lines.insert(len(lines) // 2, '{"type":"assistant","message":{"usage":{"inpu')
                lines.insert(len(lines) // 3, "this is not json")
                c.stats["malformed"] += 2
            c.write(path, lines, partial_tail=partial)
            first = first or (sid, project)
    assert first is not None
    path, lines = c.sidechain_log(first[0], first[1], replays=4, own=3)
    c.write(path, lines)
    sid, path, lines = c.resumed_copy(5, base + timedelta(days=days, hours=2))
    c.write(path, lines)
    return c

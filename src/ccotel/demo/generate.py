"""The synthetic telemetry of a team using Claude Code, one day at a time, as Arrow tables
shaped like the store's `events` and `points` rows (what decode.py makes of real exports).

Sessions are planned in Python (thousands); prompts, API requests, tool calls and events
are built column-wise (millions), so 10 M events take seconds, not minutes. A prompt is
laid out as Claude Code emits it:

    user_prompt, api_request, (tool_decision, tool_result, api_request)*k, assistant_response

with an api_error in place of some api_requests and no tool_result after a rejection.
Metric points are the 60-second delta exports of those same events, so events and
metrics agree the way they do from the real CLI.

Requests carry the attribution Claude Code sends: a query source (main, subagent,
auxiliary, compact), the session's effort, `agent.name` on subagents' requests, `skill.name`
(and `plugin.name`) on the main requests of prompts that invoke a skill, `mcp_server.name`
and `mcp_tool.name` on a request that reads an MCP tool's result. Users carry a team and
department (`OTEL_RESOURCE_ATTRIBUTES`), and each session a repo and branch, recorded at
its start as `ccotel hook session-start` records them (`git.py`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from ccotel.demo import git
from ccotel.demo import population as popn
from ccotel.demo.attributes import (
    API_ERROR,
    API_REQUEST,
    ASSISTANT,
    PROMPTS,
    TOOL_DECISION,
    TOOL_RESULT,
    USER_PROMPT,
    attributes,
    request_attributes,
    uuid_text,
)
from ccotel.demo.points import metric_points
from ccotel.demo.vector import (
    Rng,
    arange,
    as_text,
    clip,
    group_sum_before,
    group_totals,
    join,
    label,
    label_of,
    nulls_unless,
    position,
    repeat,
    starts,
    to_int,
)

NS = 1_000_000_000
EVENT_NAMES = ("user_prompt", "api_request", "tool_decision", "tool_result",
               "assistant_response", "api_error")
DECISIONS = ("accept", "reject")
SOURCES = (*popn.DECISION_SOURCES, "user_reject")


@dataclass(frozen=True)
class Spec:
    """What to generate: `users` people over the `days` days ending at `end` (naive UTC)."""

    users: int = 8
    days: int = 7
    seed: int = 1
    end: datetime | None = None
    intensity: float = 1.0   # scales sessions and prompts (the benchmark turns it up)

    def __post_init__(self) -> None:
        # "Now" is taken once, when the spec is made: generating the same spec twice
        # (to send it, then to count what was sent) must give the same events.
        if self.end is None:
            object.__setattr__(self, "end", datetime.now(UTC).replace(tzinfo=None))

    def end_time(self) -> datetime:
        assert self.end is not None
        return self.end


@dataclass
class Chunk:
    """One day of telemetry, in the store's column names."""

    day: date
    events: pa.Table
    points: pa.Table
    users: list[popn.User] = field(default_factory=list)
    # Each session's repo and branch as `ccotel hook session-start` records them:
    # (session id, facts, time in ns), and the `ccotel.git` events they decode to.
    git_facts: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    git: pa.Table | None = None


@dataclass
class _Sessions:
    ids: list[str] = field(default_factory=list)
    user: list[int] = field(default_factory=list)
    start_ns: list[int] = field(default_factory=list)
    prompts: list[int] = field(default_factory=list)
    model: list[int] = field(default_factory=list)
    start_type: list[int] = field(default_factory=list)
    effort: list[int] = field(default_factory=list)
    git: list[dict[str, str]] = field(default_factory=list)


def _poisson(rnd: random.Random, lam: float) -> int:
    # Knuth's method is fine for the small means used here; large ones go normal.
    if lam > 30:
        return max(0, round(rnd.gauss(lam, lam ** 0.5)))
    limit, k, p = pow(2.718281828459045, -lam), 0, 1.0
    while True:
        p *= rnd.random()
        if p <= limit:
            return k
        k += 1


def plan_day(spec: Spec, team: list[popn.User], day: date) -> _Sessions:
    """The sessions that start on `day`: who, when, how many prompts, which model."""
    rnd = random.Random(f"{spec.seed}/{day.isoformat()}")
    # Effort, repo and branch are drawn apart, so the rest of the plan stays as it was.
    arnd = random.Random(f"{spec.seed}/{day.isoformat()}/attribution")
    end = spec.end_time()
    scale = spec.intensity ** 0.5
    s = _Sessions()
    midnight = datetime(day.year, day.month, day.day)
    weekend = day.weekday() >= 5
    starts_types = popn.cumulative(popn.START_TYPE_WEIGHTS)
    for u in team:
        lam = u.activity * scale * (0.15 if weekend else 1.0)
        n = _poisson(rnd, lam)
        times = [midnight + timedelta(hours=9 - u.utc_offset_h + rnd.random() * 9)
                 for _ in range(n)]
        if day == end.date() and u.index < 3:
            # Someone is always at work right now, so "last hour" panels have data.
            times.append(end - timedelta(minutes=50 - 10 * u.index))
        for t in times:
            if t >= end:
                continue
            s.ids.append(str(uuid.UUID(int=rnd.getrandbits(128), version=4)))
            s.user.append(u.index)
            s.start_ns.append(int(t.replace(tzinfo=UTC).timestamp() * 1000) * 1_000_000)
            s.prompts.append(1 + int(rnd.expovariate(1 / (11 * scale))))
            main = u.main_model if rnd.random() > 0.1 else rnd.randrange(len(popn.MODELS))
            s.model.append(main)
            st = rnd.random()
            s.start_type.append(sum(st >= x for x in starts_types))
            s.effort.append(u.effort if arnd.random() < 0.8 else
                            arnd.choices(range(len(popn.EFFORTS)), popn.EFFORT_WEIGHTS)[0])
            s.git.append(git.facts(arnd, u, s.ids[-1]))
    return s


def days_of(spec: Spec) -> list[date]:
    last = spec.end_time().date()
    return [last - timedelta(days=d) for d in range(spec.days - 1, -1, -1)]


def chunks(spec: Spec) -> Iterator[Chunk]:
    """Every day of the spec, oldest first; each chunk's rows are sorted by time."""
    team = popn.team(spec.users, spec.seed)
    for day in days_of(spec):
        sessions = plan_day(spec, team, day)
        if sessions.ids:
            yield build_day(spec, team, sessions, day)


def expected_events(spec: Spec) -> float:
    """About how many events `spec` makes, from the session plan (cheap)."""
    team = popn.team(spec.users, spec.seed)
    w = popn.TOOL_CALL_WEIGHTS
    mean_k = sum(i * x for i, x in enumerate(w)) / sum(w)
    return sum(sum(plan_day(spec, team, d).prompts) for d in days_of(spec)) * (3 * mean_k + 3)


def spec_for_events(events: int, users: int, days: int, seed: int = 1,
                    end: datetime | None = None) -> Spec:
    """A spec whose intensity makes about `events` events (for benchmarks)."""
    spec = Spec(users=users, days=days, seed=seed, end=end)
    for _ in range(3):
        got = expected_events(spec)
        spec = Spec(users=users, days=days, seed=seed, end=spec.end,
                    intensity=spec.intensity * events / max(got, 1.0))
    return spec


def build_day(spec: Spec, team: list[popn.User], s: _Sessions, day: date) -> Chunk:
    rng = Rng(spec.seed * 100_003 + day.toordinal())
    # Ids are numbered per day and seed, so two demos never collide in one store.
    base = (spec.seed % 90) * 10**13 + day.toordinal() * 10**7
    end_ns = int(spec.end_time().replace(tzinfo=UTC).timestamp() * 1000) * 1_000_000
    n_sessions = len(s.ids)

    # -- prompts ----------------------------------------------------------------------------
    prompts_per_session = pa.array(s.prompts, pa.int64())
    p_session = repeat(arange(n_sessions), prompts_per_session)
    n_prompts = len(p_session)
    p_user = pc.take(pa.array(s.user, pa.int64()), p_session)
    p_calls = rng.choice(n_prompts, popn.cumulative(popn.TOOL_CALL_WEIGHTS))
    side = rng.chance(n_prompts, popn.SIDE_MODEL_SHARE)
    p_model = pc.if_else(side, popn.SIDE_MODEL, pc.take(pa.array(s.model, pa.int64()), p_session))
    p_text = rng.choice(n_prompts, [i / len(PROMPTS) for i in range(1, len(PROMPTS))])
    p_len = to_int(rng.lognormal(n_prompts, 120.0, 0.9))
    details = pa.array([u.details for u in team])
    p_details = pc.take(details, p_user)
    p_len = pc.if_else(p_details, pc.take(pa.array([len(t) for t in PROMPTS]), p_text), p_len)
    p_first_in_session = pc.equal(position(prompts_per_session), 0)
    gap_s = pc.if_else(p_first_in_session, rng.uniform(n_prompts),
                       rng.exponential(n_prompts, 80.0))

    # -- API requests: k+1 per prompt ---------------------------------------------------------
    req_per_prompt = pc.add(p_calls, 1)
    r_prompt = repeat(arange(n_prompts), req_per_prompt)
    n_req = len(r_prompt)
    r_model = pc.take(p_model, r_prompt)
    price_in = pc.take(pa.array([p[0] for p in popn.PRICES.values()]), r_model)
    price_out = pc.take(pa.array([p[1] for p in popn.PRICES.values()]), r_model)
    r_in = to_int(rng.lognormal(n_req, 60.0, 1.4))
    r_out = to_int(rng.lognormal(n_req, 350.0, 1.0))
    r_read = pc.if_else(rng.chance(n_req, 0.9), to_int(rng.lognormal(n_req, 30000.0, 0.8)), 0)
    r_write = pc.if_else(rng.chance(n_req, 0.5), to_int(rng.lognormal(n_req, 1800.0, 1.1)), 0)
    one_hour = rng.chance(n_req, 0.2)
    r_write_1h = pc.if_else(one_hour, r_write, 0)
    r_write_5m = pc.subtract(r_write, r_write_1h)
    # Cost as Claude Code computes it, in USD: per-million prices, cache multipliers.
    r_cost = pc.divide(pc.add(pc.add(pc.multiply(r_in, price_in), pc.multiply(r_out, price_out)),
                              pc.multiply(price_in, pc.add(pc.add(
                                  pc.multiply(r_read, 0.1), pc.multiply(r_write_5m, 1.25)),
                                  pc.multiply(r_write_1h, 2.0)))), 1e6)
    r_cost = pc.round(r_cost, 8)
    speed = pc.take(pa.array(popn.MODEL_SPEED), r_model)
    r_dur = pc.round(pc.multiply(rng.lognormal(n_req, 5200.0, 0.6), speed))
    r_ttft = pc.round(pc.multiply(r_dur, pc.add(0.08, pc.multiply(rng.uniform(n_req), 0.25))))
    r_err = rng.chance(n_req, popn.API_ERROR_RATE)
    r_err_kind = rng.choice(n_req, popn.cumulative(popn.API_ERROR_WEIGHTS))
    r_seq = arange(n_req)

    # -- tool calls: k per prompt -------------------------------------------------------------
    c_prompt = repeat(arange(n_prompts), p_calls)
    n_calls = len(c_prompt)
    tools = popn.TOOLS
    c_tool = rng.choice(n_calls, popn.cumulative(tuple(t.weight for t in tools)))
    c_fail = pc.less(rng.uniform(n_calls), pc.take(pa.array([t.fail_rate for t in tools]), c_tool))
    c_dur = pc.round(rng.lognormal(n_calls, pc.take(pa.array([t.median_ms for t in tools]),
                                                    c_tool), 0.9))
    asks = pc.is_in(c_tool, pa.array([i for i, t in enumerate(tools)
                                      if t.name in ("Bash", "Edit", "Write", "WebFetch")]))
    c_reject = pc.and_(asks, rng.chance(n_calls, 0.03))
    c_source = rng.choice(n_calls, popn.cumulative(popn.DECISION_SOURCE_WEIGHTS))
    # A person deciding takes seconds; the config deciding takes nothing.
    c_wait = pc.if_else(pc.or_(c_reject, pc.greater(c_source, 0)),
                        rng.lognormal(n_calls, 3.0, 0.8), 0.004)
    c_arg = rng.choice(n_calls, [i / 10 for i in range(1, 10)])
    is_bash = pc.equal(c_tool, [t.name for t in tools].index("Bash"))
    c_commit = pc.and_(is_bash, pc.equal(c_arg, popn.BASH_COMMANDS.index("git commit -m 'wip'")))
    c_pr = pc.and_(is_bash, pc.equal(c_arg, popn.BASH_COMMANDS.index("gh pr create")))
    c_in_size = to_int(rng.lognormal(n_calls, 90.0, 0.7))
    c_out_size = to_int(rng.lognormal(n_calls, 1500.0, 1.5))
    is_write = pc.equal(c_tool, [t.name for t in tools].index("Write"))
    c_added = pc.add(to_int(rng.lognormal(n_calls, pc.if_else(is_write, 45.0, 6.0), 0.9)), 1)
    c_removed = pc.if_else(is_write, 0, to_int(rng.lognormal(n_calls, 3.0, 0.9)))

    # -- attribution of each request: query source, subagent, skill, plugin, MCP tool --------
    r_qs = rng.choice(n_req, popn.cumulative(popn.QUERY_SOURCE_WEIGHTS))
    p_agent = rng.choice(n_prompts, popn.cumulative(popn.AGENT_WEIGHTS))
    p_skill = pc.if_else(rng.chance(n_prompts, popn.SKILL_SHARE),
                         rng.choice(n_prompts, popn.cumulative(popn.SKILL_WEIGHTS)), -1)
    r_main = pc.equal(r_qs, popn.MAIN)
    r_agent = pc.if_else(pc.equal(r_qs, popn.SUBAGENT), pc.take(p_agent, r_prompt), -1)
    r_skill = pc.if_else(r_main, pc.take(p_skill, r_prompt), -1)
    # A prompt's request j > 0 reads the result of its tool call j - 1.
    r_j = position(req_per_prompt)
    r_mcp = pa.repeat(-1, n_req)
    if n_calls:
        r_tool = pc.take(c_tool, clip(pc.add(pc.take(starts(p_calls), r_prompt),
                                             pc.subtract(r_j, 1)), 0, n_calls - 1))
        mcp_tools = pa.array([i for i, t in enumerate(tools) if t.mcp])
        r_mcp = pc.if_else(pc.and_(pc.and_(r_main, pc.greater(r_j, 0)),
                                   pc.is_in(r_tool, mcp_tools)), r_tool, -1)
    r_effort = pc.take(pa.array(s.effort, pa.int64()), pc.take(p_session, r_prompt))

    # -- events: 3k+3 slots per prompt --------------------------------------------------------
    slots = pc.add(pc.multiply(p_calls, 3), 3)
    e_prompt = repeat(arange(n_prompts), slots)
    pos = position(slots)
    e_k = pc.take(p_calls, e_prompt)
    j = clip(pc.divide(pc.subtract(pos, 1), 3), 0, 1 << 30)
    j = pc.min_element_wise(j, e_k)
    r = pc.subtract(pc.subtract(pos, 1), pc.multiply(j, 3))
    e_req = pc.add(pc.take(starts(req_per_prompt), e_prompt), j)
    call_j = pc.min_element_wise(j, pc.max_element_wise(pc.subtract(e_k, 1), 0))
    e_call = clip(pc.add(pc.take(starts(p_calls), e_prompt), call_j), 0, max(n_calls - 1, 0))
    last = pc.equal(pos, pc.subtract(pc.take(slots, e_prompt), 1))
    role = pc.case_when(
        pc.make_struct(pc.equal(pos, 0), last, pc.equal(r, 0), pc.equal(r, 1)),
        USER_PROMPT, ASSISTANT,
        pc.if_else(pc.take(r_err, e_req), API_ERROR, API_REQUEST),
        TOOL_DECISION, TOOL_RESULT)
    if n_calls == 0:  # no tool calls at all: nothing to take from the call columns
        c_fail = c_reject = c_commit = c_pr = pa.array([False])
        c_tool = c_source = c_arg = c_in_size = c_out_size = c_added = c_removed = pa.array([0])
        c_dur = c_wait = pa.array([0.0])
    is_req = pc.or_(pc.equal(role, API_REQUEST), pc.equal(role, API_ERROR))
    is_call = pc.or_(pc.equal(role, TOOL_DECISION), pc.equal(role, TOOL_RESULT))
    # Seconds each event adds to the prompt's clock.
    step = pc.case_when(
        pc.make_struct(is_req, pc.equal(role, TOOL_DECISION), pc.equal(role, TOOL_RESULT)),
        pc.divide(pc.take(r_dur, e_req), 1000.0), pc.take(c_wait, e_call),
        pc.divide(pc.take(c_dur, e_call), 1000.0), 0.001)
    offset_s = group_sum_before(step, slots)
    work_s = pc.take(offset_s, pc.subtract(pc.cumulative_sum(slots), 1))
    busy_s = pc.add(gap_s, work_s)
    p_start_s = pc.subtract(group_sum_before(busy_s, prompts_per_session), work_s)
    p_start_ns = pc.add(pc.take(pa.array(s.start_ns, pa.int64()), p_session),
                        to_int(pc.multiply(p_start_s, float(NS))))
    # Claude Code stamps events in milliseconds.
    t_ns = pc.multiply(pc.divide(pc.add(pc.take(p_start_ns, e_prompt),
                                        to_int(pc.multiply(offset_s, float(NS)))), 1_000_000),
                       1_000_000)
    e_session = pc.take(p_session, e_prompt)
    keep = pc.and_(pc.less_equal(t_ns, end_ns),
                   pc.invert(pc.and_(pc.equal(role, TOOL_RESULT), pc.take(c_reject, e_call))))
    # Sequence numbers count every event the session emitted, before the cut at `end`.
    seq = position(group_totals(slots, prompts_per_session))

    cols = {
        "t_ns": t_ns, "role": role, "session": e_session, "prompt": e_prompt, "req": e_req,
        "call": e_call, "seq": seq, "step": step, "is_req": is_req, "is_call": is_call,
    }
    table = pa.table(cols).filter(keep).sort_by("t_ns")
    # Contiguous arrays from here: several kernels refuse chunked ones.
    ev = {name: table[name].combine_chunks() for name in table.column_names}
    role, e_req, e_call = ev["role"], ev["req"], ev["call"]
    e_session, e_prompt = ev["session"], ev["prompt"]
    is_req, is_call = ev["is_req"], ev["is_call"]
    e_user = pc.take(pa.array(s.user, pa.int64()), e_session)
    e_model = pc.take(r_model, e_req)
    sess_ids = pa.array(s.ids, pa.string())
    session_id = label_of(sess_ids, e_session)
    t_ns = ev["t_ns"]
    ts = pc.cast(pc.divide(t_ns, 1000), pa.timestamp("us"))
    iso = join(pc.strftime(pc.cast(pc.divide(t_ns, 1_000_000), pa.timestamp("ms")),
                           format="%Y-%m-%dT%H:%M:%S"), "Z")
    is_ok_req = pc.equal(role, API_REQUEST)
    is_err = pc.equal(role, API_ERROR)
    is_result = pc.equal(role, TOOL_RESULT)
    is_decision = pc.equal(role, TOOL_DECISION)
    prompt_id = label_of(uuid_text(pc.add(arange(n_prompts), base)), e_prompt)
    ev_details = pc.take(details, e_user)
    tool_name = label([t.name for t in tools], pc.take(c_tool, e_call))
    # Decision codes: 0 accept, 1 reject; sources index DECISION_SOURCES, then user_reject.
    rejected = pc.take(c_reject, e_call)
    decision_code = pc.cast(rejected, pa.int64())
    source_code = pc.if_else(rejected, len(popn.DECISION_SOURCES), pc.take(c_source, e_call))
    decision = label(DECISIONS, decision_code)
    source = label(SOURCES, source_code)
    success = pc.invert(pc.take(c_fail, e_call))
    err_kind = pc.take(r_err_kind, e_req)
    request_id = label_of(join("req_", as_text(pc.add(r_seq, base))), e_req)
    tool_use_id = label_of(join("toolu_", as_text(pc.add(arange(max(n_calls, 1)), base))),
                           e_call)
    attrs = attributes(role, iso, ev_details, e_prompt, p_text, p_len, e_req, r_cost,
                        e_call, c_tool, c_arg, c_in_size, c_out_size,
                        request_attributes(r_agent, r_skill, r_mcp))
    e_qs = pc.take(r_qs, e_req)
    e_effort = pc.take(r_effort, e_req)
    n = len(table)
    events = pa.table({
        "event_key": join(pc.take(sess_ids, e_session), "/", as_text(ev["seq"])),
        "ts": ts,
        "time_unix_nano": t_ns,
        "observed_unix_nano": t_ns,
        "event_name": label(EVENT_NAMES, role),
        "session_id": session_id,
        "user_id": label([u.user_id for u in team], e_user),
        "user_email": label([u.email for u in team], e_user),
        "account_uuid": label([u.account_uuid for u in team], e_user),
        "organization_id": pa.repeat(pa.scalar(popn.ORGANIZATION_ID), n),
        "terminal_type": label([u.terminal for u in team], e_user),
        "service_name": pa.repeat(pa.scalar(popn.SERVICE_NAME), n),
        "service_version": label([u.version for u in team], e_user),
        "prompt_id": prompt_id,
        "event_sequence": ev["seq"],
        "model": nulls_unless(pc.or_(is_req, pc.equal(role, ASSISTANT)),
                              label(popn.MODELS, e_model)),
        "request_id": nulls_unless(pc.or_(is_ok_req, pc.or_(is_call, pc.equal(role, ASSISTANT))),
                                   request_id),
        "input_tokens": nulls_unless(is_ok_req, pc.take(r_in, e_req)),
        "output_tokens": nulls_unless(is_ok_req, pc.take(r_out, e_req)),
        "cache_read_tokens": nulls_unless(is_ok_req, pc.take(r_read, e_req)),
        "cache_creation_tokens": nulls_unless(is_ok_req, pc.take(r_write, e_req)),
        "cache_creation_5m_tokens": nulls_unless(is_ok_req, pc.take(r_write_5m, e_req)),
        "cache_creation_1h_tokens": nulls_unless(is_ok_req, pc.take(r_write_1h, e_req)),
        "cost_usd": nulls_unless(is_ok_req, pc.take(r_cost, e_req)),
        "duration_ms": pc.case_when(pc.make_struct(is_req, is_result),
                                    pc.take(r_dur, e_req), pc.take(c_dur, e_call),
                                    pa.scalar(None, pa.float64())),
        "ttft_ms": nulls_unless(is_ok_req, pc.take(r_ttft, e_req)),
        "tool_name": nulls_unless(is_call, tool_name),
        "tool_use_id": nulls_unless(is_call, tool_use_id),
        "success": nulls_unless(is_result, success),
        "decision": nulls_unless(is_decision, decision),
        "decision_source": nulls_unless(is_decision, source),
        "error": nulls_unless(is_err, label([e[1] for e in popn.API_ERRORS], err_kind)),
        "error_type": nulls_unless(pc.and_(is_result, pc.invert(success)),
                                   label([t.error_type for t in tools], pc.take(c_tool, e_call))),
        "status_code": nulls_unless(is_err, pc.take(pa.array([e[0] for e in popn.API_ERRORS]),
                                                    err_kind)),
        "attempt": nulls_unless(is_err, pa.repeat(pa.scalar(11), n)),
        "query_source": nulls_unless(is_req, label(popn.QUERY_SOURCES, e_qs)),
        "speed": nulls_unless(is_req, pa.repeat(pa.scalar("normal"), n)),
        "effort": nulls_unless(is_req, label(popn.EFFORTS, e_effort)),
        "body": label([f"claude_code.{e}" for e in EVENT_NAMES], role),
        "scope_name": pa.repeat(pa.scalar(popn.LOG_SCOPE), n),
        "scope_version": pa.repeat(pa.scalar(popn.SCOPE_VERSION), n),
        "resource": label([u.resource_json() for u in team], e_user),
        "attributes": attrs,
        "source": pa.repeat(pa.scalar("telemetry"), n),
    })
    per_event = pa.table({
        "session": e_session, "t_ns": t_ns, "role": role, "model": e_model,
        "input": nulls_unless(is_ok_req, pc.take(r_in, e_req)),
        "output": nulls_unless(is_ok_req, pc.take(r_out, e_req)),
        "cacheRead": nulls_unless(is_ok_req, pc.take(r_read, e_req)),
        "cacheCreation": nulls_unless(is_ok_req, pc.take(r_write, e_req)),
        "cost": nulls_unless(is_ok_req, pc.take(r_cost, e_req)),
        "query_source": e_qs, "effort": e_effort,
        "busy_s": ev["step"],
        "typing_s": nulls_unless(pc.equal(role, USER_PROMPT),
                                 pc.divide(pc.cast(pc.take(p_len, e_prompt), pa.float64()), 6.0)),
        "tool": nulls_unless(is_call, pc.take(c_tool, e_call)),
        "decision": nulls_unless(is_decision, decision_code),
        "source": nulls_unless(is_decision, source_code),
        "language": pc.take(c_arg, e_call),
        "ok_result": pc.and_(is_result, success),
        "added": pc.take(c_added, e_call),
        "removed": pc.take(c_removed, e_call),
        "commit": pc.take(c_commit, e_call),
        "pr": pc.take(c_pr, e_call),
    })
    points = metric_points(per_event, team, s, end_ns)
    git_facts = list(zip(s.ids, s.git, s.start_ns, strict=True))
    return Chunk(day=day, events=events, points=points, users=team, git_facts=git_facts,
                 git=git.records(git_facts))

"""The text columns of demo events: UUID-shaped ids and the attributes JSON that
decode.py keeps for attributes without a column of their own, built column-wise."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from ccotel.demo import population as popn
from ccotel.demo.vector import as_text, join, text, to_int

# Role of an event inside its prompt (the generator's numbering).
USER_PROMPT, API_REQUEST, TOOL_DECISION, TOOL_RESULT, ASSISTANT, API_ERROR = range(6)
ROLES = 6
PROMPTS = ("fix the failing test in tests/test_api.py", "add a --json flag to the CLI",
           "why is the build slow?", "refactor the store module", "write docs for the API",
           "review my last commit", "explain this stack trace", "bump the dependencies")


def uuid_text(n: pa.Array) -> pa.Array:
    """A UUID-shaped id from a number below 10**15 (deterministic, distinct per number)."""
    h = as_text(pc.add(n, 10**15))

    def part(a: int, b: int) -> pa.Array:
        return pc.utf8_slice_codeunits(h, a, b)

    return join("6f1e", part(1, 5), "-", part(5, 9), "-4", part(9, 12), "-8", part(12, 15),
                "-", part(15, 16), "a1b2c3d4e5f")


def _json_text(value: str) -> str:
    """`value` as a JSON string body (quotes escaped), to splice into an attributes object."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _named(key: str, names: list[str | None], idx: pa.Array) -> pa.Array:
    """`,"key":"<name>"` for each index into `names` (-1 or a None name: nothing)."""
    parts = ["", *(f',"{key}":"{_json_text(n)}"' if n else "" for n in names)]
    return text(parts, pc.add(idx, 1))


def request_attributes(r_agent: pa.Array, r_skill: pa.Array, r_mcp: pa.Array) -> pa.Array:
    """Per API request, the attribution attributes Claude Code sends without a column of
    their own (agent.name, skill.name, plugin.name, mcp_server.name, mcp_tool.name), as the
    tail of its attributes JSON; -1 where a request has none."""
    tools = popn.TOOLS
    return join(_named("agent.name", list(popn.AGENTS), r_agent),
                _named("skill.name", [k for k, _ in popn.SKILLS], r_skill),
                _named("plugin.name", [p for _, p in popn.SKILLS], r_skill),
                _named("mcp_server.name", [t.mcp[0] if t.mcp else None for t in tools], r_mcp),
                _named("mcp_tool.name", [t.mcp[1] if t.mcp else None for t in tools], r_mcp))


def attributes(role: pa.Array, iso: pa.Array, details: pa.Array, e_prompt: pa.Array,
               p_text: pa.Array, p_len: pa.Array, e_req: pa.Array, r_cost: pa.Array,
               e_call: pa.Array, c_tool: pa.Array, c_arg: pa.Array, c_in: pa.Array,
               c_out: pa.Array, r_extra: pa.Array) -> pa.Array:
    """The JSON decode.py keeps for attributes without a column of their own; `r_extra`
    is each request's tail (`request_attributes`).

    Each role's text is built on that role's rows only, then scattered into place."""
    prompt_texts = [_json_text(p) for p in PROMPTS]
    params = []
    for tool in popn.TOOLS:
        for i in range(10):
            if tool.mcp:
                p = {"mcp_server_name": tool.mcp[0], "mcp_tool_name": tool.mcp[1]}
            elif tool.name == "Bash":
                cmd = popn.BASH_COMMANDS[i]
                p = {"bash_command": cmd.split()[0], "full_command": cmd}
            elif tool.name in ("Read", "Edit", "Write"):
                p = {"file_path": popn.FILES[i % len(popn.FILES)]}
            else:
                p = {"pattern": ("TODO", "def main", "*.py", "http", "fixme")[i % 5]}
            params.append(',"tool_parameters":"' + _json_text(json.dumps(p, separators=(",", ":")))
                          + '"')
    out = pa.nulls(len(role), pa.string())
    for r in range(ROLES):
        mask = pc.equal(role, r)
        if not pc.any(mask).as_py():
            continue

        def sub(a: pa.Array) -> pa.Array:
            return pc.filter(a, mask)  # noqa: B023 - used at once, inside this iteration

        head = join('{"anthropic.provider":"firstParty","anthropic.custom_base_url":false,'
                    '"event.timestamp":"', sub(iso), '"')
        if r == USER_PROMPT:
            prompt_no = sub(e_prompt)
            prompt = pc.if_else(sub(details), text(prompt_texts, pc.take(p_text, prompt_no)),
                                "<REDACTED>")
            value = join(head, ',"prompt_length":', as_text(pc.take(p_len, prompt_no)),
                         ',"prompt":"', prompt, '"}')
        elif r == API_REQUEST:
            micros = to_int(pc.multiply(pc.take(r_cost, sub(e_req)), 1e6))
            value = join(head, ',"cost_usd_micros":', as_text(micros),
                         pc.take(r_extra, sub(e_req)), "}")
        elif r in (TOOL_DECISION, TOOL_RESULT):
            call = sub(e_call)
            tool_params = pc.if_else(sub(details), text(params, pc.add(
                pc.multiply(pc.take(c_tool, call), 10), pc.take(c_arg, call))), "")
            if r == TOOL_DECISION:
                source = text(['"' + ("mcp" if t.mcp else "builtin") + '"' for t in popn.TOOLS],
                              pc.take(c_tool, call))
                value = join(head, ',"tool_source":', source, ',"permission_mode":"default"',
                             tool_params, "}")
            else:
                value = join(head, ',"tool_input_size_bytes":', as_text(pc.take(c_in, call)),
                             ',"tool_result_size_bytes":', as_text(pc.take(c_out, call)),
                             tool_params, "}")
        elif r == ASSISTANT:
            value = join(head, ',"response_length":', as_text(pc.take(c_out, sub(e_call))), "}")
        elif r == API_ERROR:
            value = join(head, pc.take(r_extra, sub(e_req)), "}")
        else:
            value = join(head, "}")
        out = pc.replace_with_mask(out, mask, value)
    return out

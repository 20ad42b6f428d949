"""Who the synthetic team is and what their Claude Code does: users, models, tools, prices.

Everything here is data (weights and medians) so the generator stays a pure function of
it; the numbers are shaped like the captures in the reference (Claude Code 2.1.332).
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass

SERVICE_NAME = "claude-code"
LOG_SCOPE = "com.anthropic.claude_code.events"
METRIC_SCOPE = "com.anthropic.claude_code"
TRACE_SCOPE = "com.anthropic.claude_code.tracing"
SCOPE_VERSION = "2.1.332"
ORGANIZATION_ID = "3f1c2b9e-5a47-4d8e-9c61-0b7d2e8f4a15"

# USD per million tokens: (input, output). Cache reads cost 0.1x input, 5-minute cache
# writes 1.25x, 1-hour writes 2x (platform pricing; opus-5-5 as genai-prices has it).
PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-5-5": (4.0, 20.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-opus-4-8": (5.0, 25.0),
}
MODELS = tuple(PRICES)
# How often a user has each model as their main one; haiku also runs small side queries.
MAIN_MODEL_WEIGHTS = (0.45, 0.35, 0.05, 0.15)
# Relative latency of each model's answers.
MODEL_SPEED = (1.3, 1.0, 0.4, 1.4)
SIDE_MODEL = MODELS.index("claude-haiku-4-5")
SIDE_MODEL_SHARE = 0.12


@dataclass(frozen=True)
class Tool:
    name: str
    weight: float          # share of tool calls
    median_ms: float       # execution time
    fail_rate: float
    error_type: str
    edits: bool = False    # counts in code_edit_tool.decision and lines_of_code
    mcp: tuple[str, str] | None = None  # (mcp_server.name, mcp_tool.name) of an MCP tool


TOOLS: tuple[Tool, ...] = (
    Tool("Read", 0.31, 12, 0.02, "FileNotFoundError"),
    Tool("Bash", 0.24, 1400, 0.09, "ShellError"),
    Tool("Edit", 0.17, 25, 0.04, "EditError", edits=True),
    Tool("Grep", 0.12, 90, 0.01, "RipgrepError"),
    Tool("Glob", 0.06, 20, 0.005, "GlobError"),
    Tool("Write", 0.05, 18, 0.01, "PermissionError", edits=True),
    Tool("WebFetch", 0.03, 2200, 0.12, "FetchError"),
    Tool("Task", 0.02, 45000, 0.03, "SubagentError"),
    # MCP tools go by `mcp__<server>__<tool>`; the requests that read their results carry
    # mcp_server.name and mcp_tool.name (a server not from the registry is named "custom").
    Tool("mcp__github__create_pull_request", 0.012, 1800, 0.05, "McpError",
         mcp=("github", "create_pull_request")),
    Tool("mcp__github__get_issue", 0.015, 900, 0.03, "McpError", mcp=("github", "get_issue")),
    Tool("mcp__linear__list_issues", 0.01, 700, 0.03, "McpError",
         mcp=("linear", "list_issues")),
    Tool("mcp__sentry__search_issues", 0.008, 1500, 0.06, "McpError",
         mcp=("sentry", "search_issues")),
    Tool("mcp__playwright__browser_navigate", 0.006, 2500, 0.08, "McpError",
         mcp=("playwright", "browser_navigate")),
    Tool("mcp__docs__search", 0.006, 600, 0.02, "McpError", mcp=("custom", "custom")),
)
# Bash commands (with the `bash_command` Claude Code reports when tool details are on).
BASH_COMMANDS = ("git status", "pytest -q", "npm test", "git diff", "ls -la", "make build",
                 "git commit -m 'wip'", "cargo test", "go test ./...", "gh pr create")
FILES = ("src/app.py", "src/server.ts", "README.md", "pkg/store/store.go", "lib/parse.rs",
         "tests/test_api.py", "web/index.tsx", "config.json")
LANGUAGES = ("Python", "TypeScript", "Markdown", "Go", "Rust", "Python", "TypeScript", "JSON",
             "Python", "YAML")
# Tool calls per prompt: 0..8, most prompts run a few tools.
TOOL_CALL_WEIGHTS = (0.14, 0.2, 0.2, 0.15, 0.11, 0.08, 0.06, 0.04, 0.02)
DECISION_SOURCES = ("config", "user_temporary", "user_permanent")
DECISION_SOURCE_WEIGHTS = (0.7, 0.2, 0.1)
API_ERRORS = ((529, "Overloaded"), (500, "Internal server error"), (429, "Rate limited"),
              (400, "prompt is too long"))
API_ERROR_WEIGHTS = (0.5, 0.25, 0.2, 0.05)
API_ERROR_RATE = 0.015
TERMINALS = ("vscode", "iTerm.app", "xterm", "tmux", "cursor", "Apple_Terminal", "ghostty")
TERMINAL_WEIGHTS = (0.35, 0.2, 0.1, 0.1, 0.12, 0.08, 0.05)
VERSIONS = ("2.1.330", "2.1.331", "2.1.332")
VERSION_WEIGHTS = (0.2, 0.3, 0.5)
# query_source of API requests: the main loop, subagents (Task), side queries (titles,
# summaries) and context compactions.
QUERY_SOURCES = ("main", "subagent", "auxiliary", "compact")
QUERY_SOURCE_WEIGHTS = (0.8, 0.12, 0.06, 0.02)
MAIN, SUBAGENT = 0, 1
# Reasoning effort of a session (`effort` on every request, /effort or the settings).
EFFORTS = ("low", "medium", "high", "max")
EFFORT_WEIGHTS = (0.1, 0.5, 0.3, 0.1)
# Subagents (agent.name on their requests): built-in ones and a project's own.
AGENTS = ("general-purpose", "Explore", "Plan", "code-reviewer", "test-runner")
AGENT_WEIGHTS = (0.35, 0.3, 0.15, 0.12, 0.08)
# Skills a prompt may invoke (skill.name on its main requests), with the plugin that
# brings a skill (plugin.name) or None for a user's or project's own skill.
SKILLS: tuple[tuple[str, str | None], ...] = (
    ("pdf", None), ("release-notes", None), ("frontend-design", "frontend-kit"),
    ("db-migrations", None), ("security-review", "acme-tools"))
SKILL_WEIGHTS = (0.25, 0.25, 0.15, 0.25, 0.1)
SKILL_SHARE = 0.12   # prompts that invoke a skill
# The team's repos as `ccotel hook session-start` names them: the remote's host/owner/name,
# or the folder's name for a repo without a remote; (repo, folder name, weight).
REPOS = (("github.com/acme/api", "api", 0.3), ("github.com/acme/web", "web", 0.25),
         ("github.com/acme/infra", "infra", 0.12), ("gitlab.com/acme/mobile", "mobile", 0.13),
         ("github.com/acme/docs", "docs", 0.1), ("scratch", "scratch", 0.1))
BRANCHES = ("main", "feat/billing-export", "fix/login-timeout", "feat/search",
            "chore/deps", "feat/onboarding", "refactor/store")
BRANCH_WEIGHTS = (0.4, 0.15, 0.12, 0.1, 0.08, 0.08, 0.07)
WORKTREE_SHARE = 0.15  # sessions in a linked worktree (named after its branch)
# OTEL_RESOURCE_ATTRIBUTES team and department of each team, and the repo (index into
# REPOS) its people work in most.
TEAMS = (("core", "engineering", 0), ("web", "engineering", 1), ("mobile", "engineering", 3),
         ("data", "analytics", 5), ("sre", "operations", 2))
START_TYPES = ("fresh", "resume", "continue")
START_TYPE_WEIGHTS = (0.75, 0.15, 0.1)
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "ken", "laura", "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil",
         "trent", "uma", "victor", "wendy", "xavier", "yara", "zoe")
OS = (("darwin", "25.1.0", "arm64"), ("linux", "6.8.0-generic", "amd64"),
      ("darwin", "24.6.0", "arm64"), ("win32", "10.0.26100", "amd64"))


@dataclass(frozen=True)
class User:
    index: int
    name: str
    user_id: str           # Claude Code's anonymous hash
    email: str
    account_uuid: str
    terminal: str
    version: str
    os: tuple[str, str, str]
    main_model: int        # index into MODELS
    activity: float        # sessions per working day
    utc_offset_h: int      # where their working day falls
    details: bool          # OTEL_LOG_TOOL_DETAILS / OTEL_LOG_USER_PROMPTS on
    traces: bool           # CLAUDE_CODE_ENHANCED_TELEMETRY_BETA on
    team: int = 0          # index into TEAMS: OTEL_RESOURCE_ATTRIBUTES team, department
    effort: int = 1        # index into EFFORTS: the effort most of their sessions use

    def resource(self) -> dict[str, str]:
        os_type, os_version, arch = self.os
        team, department, _ = TEAMS[self.team]
        return {"host.arch": arch, "os.type": os_type, "os.version": os_version,
                "service.name": SERVICE_NAME, "service.version": self.version,
                "team": team, "department": department}

    def resource_json(self) -> str:
        # The same text decode.py stores for this resource.
        return json.dumps(self.resource(), separators=(",", ":"), ensure_ascii=False)


def _pick(rnd: random.Random, values: tuple, weights: tuple[float, ...]):  # type: ignore[no-untyped-def, type-arg]
    return rnd.choices(values, weights)[0]


def team(users: int, seed: int = 1) -> list[User]:
    """`users` people, the same for the same seed."""
    rnd = random.Random(f"team-{seed}")
    # Attribution is drawn apart, so it leaves the rest of the team as it was.
    attr = random.Random(f"team-attribution-{seed}")
    out = []
    for i in range(users):
        base = NAMES[i % len(NAMES)]
        name = base if i < len(NAMES) else f"{base}{i // len(NAMES) + 1}"
        out.append(User(
            index=i,
            name=name,
            user_id=hashlib.sha256(f"ccotel-demo/{seed}/{i}".encode()).hexdigest(),
            email=f"{name}@example.com",
            account_uuid=str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            terminal=_pick(rnd, TERMINALS, TERMINAL_WEIGHTS),
            version=_pick(rnd, VERSIONS, VERSION_WEIGHTS),
            os=_pick(rnd, OS, (0.5, 0.3, 0.15, 0.05)),
            main_model=_pick(rnd, tuple(range(len(MODELS))), MAIN_MODEL_WEIGHTS),
            activity=max(0.3, rnd.lognormvariate(0.9, 0.5)),
            utc_offset_h=_pick(rnd, (-8, -5, 0, 1, 2, 5, 9), (0.2, 0.2, 0.15, 0.2, 0.05, 0.1, 0.1)),
            details=rnd.random() < 0.5,
            traces=rnd.random() < 0.4,
            team=i % len(TEAMS),
            effort=_pick(attr, tuple(range(len(EFFORTS))), EFFORT_WEIGHTS),
        ))
    return out


def cumulative(weights: tuple[float, ...]) -> list[float]:
    """Thresholds for picking an index from a uniform number in [0, 1)."""
    total = sum(weights)
    acc, out = 0.0, []
    for w in weights[:-1]:
        acc += w / total
        out.append(acc)
    return out

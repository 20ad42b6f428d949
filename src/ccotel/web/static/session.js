// The session page: totals, the interactions as a story (each prompt and what followed:
// requests with model, tokens and cost, tools with their outcome, errors and decisions in
// place), and the full event timeline.
import { CONFIG, el, getJSON, t } from "./api.js";
import * as fmt from "./format.js";
import { attributesTable, eventRow } from "./render.js";

const root = document.getElementById("session");
const id = root.dataset.session;
const back = new URLSearchParams(location.search);
back.delete("var-session");
if (CONFIG.lang && !back.has("lang") && new URLSearchParams(location.search).has("lang")) back.set("lang", CONFIG.lang);
document.getElementById("back").href = "/?" + back.toString();
document.getElementById("home-link").href = "/?" + back.toString();

function kv(k, v, key, title = null) {
  return el("div", { class: "kv", dataset: { key } }, el("div", { class: "k", text: k }),
    el("div", { class: "v", text: v, title }));
}

function summary(s) {
  const tt = s.totals;
  const m = s.metrics || {};
  const tok = tt.tokens;
  document.getElementById("session-summary").replaceChildren(el("div", { class: "summary-grid" },
    kv(t("kv.user"), fmt.user(s.user), "user", s.user),
    kv(t("kv.start"), s.start ? fmt.time(s.start) : "–", "start"),
    kv(t("kv.duration"), fmt.seconds(s.duration_s), "duration"),
    kv(t("kv.models"), (s.models || []).join(", ") || "–", "models"),
    kv(t("kv.terminal"), s.terminal || "–", "terminal"),
    kv(t("kv.version"), s.version || "–", "version"),
    kv(t("kv.prompts"), fmt.short(tt.prompts), "prompts"),
    kv(t("kv.requests"), fmt.short(tt.requests), "requests"),
    kv(t("kv.errors"), fmt.short(tt.errors), "errors"),
    kv(t("kv.tool_calls"), t("kv.tool_calls_value", { calls: fmt.short(tt.tool_calls), failed: fmt.short(tt.tool_failures) }), "tool_calls"),
    kv(t("kv.cost"), fmt.usd(tt.cost_usd), "cost"),
    kv(t("kv.tokens"), `${fmt.short(tok.input)} / ${fmt.short(tok.output)}`, "tokens"),
    kv(t("kv.cache"), `${fmt.short(tok.cacheRead)} / ${fmt.short(tok.cacheCreation)}`, "cache"),
    kv(t("kv.lines"), `${fmt.short(m["lines_of_code.count.added"] || 0)} / ${fmt.short(m["lines_of_code.count.removed"] || 0)}`, "lines"),
    kv(t("kv.git"), `${fmt.short(m["commit.count"] || 0)} / ${fmt.short(m["pull_request.count"] || 0)}`, "git"),
    kv(t("kv.active"), `${fmt.seconds(m["active_time.total.user"] || 0)} / ${fmt.seconds(m["active_time.total.cli"] || 0)}`, "active")));
}

function relative(start) {
  return (ms) => {
    const d = Math.max(0, (ms - start) / 1000);
    const h = Math.floor(d / 3600), m = Math.floor((d % 3600) / 60), sec = (d % 60).toFixed(1);
    return `+${h ? h + ":" : ""}${String(m).padStart(2, "0")}:${sec.padStart(4, "0")}`;
  };
}

function timeline(s, rel) {
  const list = el("ul", { class: "events timeline", id: "timeline-list" },
    ...s.timeline.map((e) => eventRow(e, { showSession: false, relative: rel(Date.parse(e.time)) })));
  if (!s.timeline.length) list.append(el("li", { class: "no-data", text: t("session.no_events") }));
  document.getElementById("timeline").replaceChildren(list);
}

// -- the story -------------------------------------------------------------------------

const ms = (nano) => nano / 1e6;
const A = (x) => x.attributes || {};

function tokens(a) {
  return t("story.tokens", { input: fmt.short(a.input_tokens ?? 0), output: fmt.short(a.output_tokens ?? 0),
    cache: fmt.short(a.cache_read_tokens ?? 0) });
}

function toolDetail(a) {
  return a.full_command || a.file_path || a.tool_input || a.description || "";
}

function outcome(ok) {
  return ok === undefined || ok === null ? "" : ok === false || ok === "false" ? t("story.tool_failed") : t("story.tool_ok");
}

// What one span says, in words: its kind, its text, and how it went.
function describe(sp, ctx) {
  const a = A(sp);
  const type = a["span.type"] || sp.name.replace(/^claude_code\./, "");
  if (sp.status_code === 2 && type === "llm_request") {
    return { cls: "error", kind: t("story.request"), text: [a.model, sp.status_message].filter(Boolean).join(" · ") };
  }
  if (type === "llm_request") {
    const req = ctx.requests.get(a.request_id);
    const cost = req && A(req).cost_usd !== undefined ? fmt.usd(Number(A(req).cost_usd)) : "";
    return { cls: "llm", kind: t("story.request"), text: [a.model || a["gen_ai.request.model"], tokens(a), cost].filter(Boolean).join(" · ") };
  }
  if (type === "tool") {
    const exec = ctx.children(sp).find((c) => A(c)["span.type"] === "tool.execution");
    const result = ctx.results.get(a.tool_use_id);
    const ok = exec && A(exec).success !== undefined ? A(exec).success : result ? A(result).success : undefined;
    const failed = ok === false || ok === "false";
    return { cls: failed ? "error" : "tool", kind: a.tool_name || a["gen_ai.tool.name"] || t("story.tool"),
      text: [toolDetail(a), outcome(ok)].filter(Boolean).join(" · "), failed };
  }
  if (type === "tool.blocked_on_user") {
    return { cls: "blocked", kind: t("story.waiting"), text: [a.decision, a.source ? `(${a.source})` : ""].filter(Boolean).join(" ") };
  }
  if (type === "tool.execution") {
    return { cls: a.success === false ? "error" : "tool", kind: t("story.running"), text: outcome(a.success) };
  }
  return { cls: sp.status_code === 2 ? "error" : "", kind: type, text: sp.status_message || "" };
}

// A step of the story told by an event (no traces): a request with its model, tokens and
// exact cost, a tool with its outcome, a decision; anything else is an error.
function eventStep(e) {
  const a = A(e);
  if (e.event === "tool_decision") {
    return { cls: "decision event", kind: `${t("story.decision")}: ${a.tool_name || ""}`, text: e.summary || "" };
  }
  if (e.event === "api_request") {
    const cost = a.cost_usd !== undefined ? fmt.usd(Number(a.cost_usd)) : "";
    return { cls: "llm event", kind: t("story.request"), text: [a.model, tokens(a), cost].filter(Boolean).join(" · ") };
  }
  if (e.event === "tool_result" && !(a.success === false || a.success === "false")) {
    return { cls: "tool event", kind: a.tool_name || t("story.tool"), text: [toolDetail(a), outcome(a.success)].filter(Boolean).join(" · ") };
  }
  return { cls: "error event", kind: `${t("story.error")}: ${e.event}`, text: e.summary || "" };
}

// An event that belongs in the story where it happened: errors and decisions.
function placed(e) {
  return e.event === "api_error" || e.event === "api_retries_exhausted" || e.event === "tool_decision" ||
    (e.event === "tool_result" && A(e).success === false);
}

function hover(attrs) {
  return Object.entries(attrs).slice(0, 30).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n");
}

function storyRow({ rel, at, left, width, depth, cls, kind, text, dur, attrs, data }) {
  const row = el("li", { class: "story-row " + cls, dataset: data });
  const line = el("div", { class: "story-line", role: "button", tabindex: "0", title: hover(attrs) },
    el("span", { class: "story-time", text: rel(at) }),
    el("span", { class: "story-what", style: `padding-left:${depth * 14}px` },
      el("span", { class: "story-kind", text: kind }), el("span", { class: "story-text", text })),
    el("span", { class: "story-track" }, el("span", { class: "story-bar " + cls,
      style: `left:${left}%;width:${width}%` })),
    el("span", { class: "story-dur", text: dur }));
  const toggle = () => {
    const open = row.querySelector(".attrs");
    if (open) { open.remove(); row.classList.remove("open"); return; }
    row.classList.add("open");
    row.append(attributesTable({ attributes: attrs }));
  };
  line.addEventListener("click", toggle);
  line.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
  row.append(line);
  return row;
}

// One interaction: a header with its prompt, then its spans as a waterfall with the
// errors and decisions of its time in place.
function interaction({ t0, t1, prompt, promptLength, spans, events, rel, ctx, cost }) {
  const total = Math.max(t1 - t0, 1);
  const pos = (a, b) => ({ left: (100 * (a - t0)) / total, width: Math.max((100 * (b - a)) / total, 0) });
  const items = [];
  const ids = new Set(spans.map((x) => x.span_id));
  const walk = (parent, depth) => {
    const kids = spans.filter((sp) => (sp.parent_span_id && ids.has(sp.parent_span_id) ? sp.parent_span_id : "") === parent)
      .sort((a, b) => a.start_unix_nano - b.start_unix_nano);
    for (const sp of kids) {
      const isRoot = A(sp)["span.type"] === "interaction";
      if (!isRoot) {
        const d = describe(sp, ctx);
        items.push({ at: ms(sp.start_unix_nano), depth, ...pos(ms(sp.start_unix_nano), ms(sp.end_unix_nano)), ...d,
          dur: fmt.ms(sp.duration_ms), attrs: A(sp), data: { span: sp.span_id, kind: A(sp)["span.type"] || sp.name } });
      }
      walk(sp.span_id, isRoot ? depth : depth + 1);
    }
  };
  walk("", 0);
  for (const e of events) {
    const at = Date.parse(e.time);
    items.push({ at, depth: 0, ...pos(at, at), ...eventStep(e), dur: "", attrs: A(e),
      data: { event: e.event } });
  }
  items.sort((a, b) => a.at - b.at);
  // Claude Code sends "<REDACTED>" when prompts are not logged (OTEL_LOG_USER_PROMPTS unset).
  const known = prompt !== undefined && prompt !== null && prompt !== "<REDACTED>";
  const text = known ? prompt : promptLength !== undefined && promptLength !== null
    ? t("story.prompt_length", { n: promptLength }) : t("story.prompt");
  const head = el("summary", { class: "story-head" },
    el("span", { class: "story-time", text: rel(t0) }),
    el("span", { class: "story-prompt" + (known ? "" : " redacted"), text, title: text }),
    el("span", { class: "story-meta", text: [cost ? fmt.usd(cost) : "", fmt.ms(total)].filter(Boolean).join(" · ") }));
  return el("details", { class: "story", open: "open" }, head,
    el("ul", { class: "story-rows" }, ...items.map((x) => storyRow({ rel, ...x }))));
}

function story(s, rel) {
  const events = s.timeline;
  const ctx = {
    requests: new Map(events.filter((e) => e.event === "api_request").map((e) => [A(e).request_id, e])),
    results: new Map(events.filter((e) => e.event === "tool_result").map((e) => [A(e).tool_use_id, e])),
  };
  const byParent = new Map();
  for (const sp of s.spans || []) {
    if (!byParent.has(sp.parent_span_id)) byParent.set(sp.parent_span_id, []);
    byParent.get(sp.parent_span_id).push(sp);
  }
  ctx.children = (sp) => byParent.get(sp.span_id) || [];
  const groups = [];
  if ((s.spans || []).length) {
    // With traces: one interaction per trace.
    const traces = new Map();
    for (const sp of s.spans) {
      if (!traces.has(sp.trace_id)) traces.set(sp.trace_id, []);
      traces.get(sp.trace_id).push(sp);
    }
    for (const spans of traces.values()) {
      const root = spans.find((x) => A(x)["span.type"] === "interaction") || {};
      groups.push({ t0: Math.min(...spans.map((x) => ms(x.start_unix_nano))), t1: Math.max(...spans.map((x) => ms(x.end_unix_nano))),
        prompt: A(root).user_prompt, promptLength: A(root).user_prompt_length, spans, events: [] });
    }
  } else {
    // Without traces: one interaction per prompt (prompt.id), from the events alone.
    const prompts = new Map();
    for (const e of events) {
      const pid = A(e)["prompt.id"];
      if (!pid) continue;
      if (!prompts.has(pid)) prompts.set(pid, []);
      prompts.get(pid).push(e);
    }
    for (const list of prompts.values()) {
      const p = list.find((e) => e.event === "user_prompt");
      const times = list.map((e) => Date.parse(e.time));
      groups.push({ t0: Math.min(...times), t1: Math.max(...times), prompt: p ? A(p).prompt : undefined,
        promptLength: p ? A(p).prompt_length : undefined, spans: [], events: [], pid: list });
    }
  }
  groups.sort((a, b) => a.t0 - b.t0);
  // A trace whose interaction span carries no prompt: the user_prompt event that began it.
  const prompts = events.filter((e) => e.event === "user_prompt");
  for (const g of groups) {
    if (g.pid || g.prompt !== undefined || g.promptLength !== undefined) continue;
    const p = prompts.find((e) => Math.abs(Date.parse(e.time) - g.t0) < 2000);
    if (p) { g.prompt = A(p).prompt; g.promptLength = A(p).prompt_length; }
  }
  for (const e of events) {
    if (!placed(e) && !(groups.length && groups[0].pid && ["api_request", "tool_result"].includes(e.event))) continue;
    const at = Date.parse(e.time);
    let g = null;
    for (const x of groups) if (x.t0 - 1000 <= at) g = x;  // the latest interaction begun by then
    if (!g) g = groups[0];
    if (g && (!g.pid || g.pid.includes(e))) g.events.push(e);
  }
  for (const g of groups) {
    const reqs = g.spans.length ? g.spans.map((sp) => ctx.requests.get(A(sp).request_id)).filter(Boolean)
      : (g.pid || []).filter((e) => e.event === "api_request");
    g.cost = reqs.reduce((sum, e) => sum + Number(A(e).cost_usd || 0), 0);
  }
  const node = document.getElementById("story");
  if (!groups.length) {
    node.replaceChildren(el("div", { class: "no-data" }, el("p", { text: t("session.no_traces") })));
    return;
  }
  node.replaceChildren(...groups.map((g) => interaction({ ...g, rel, ctx })));
}

getJSON("/api/v1/sessions/" + encodeURIComponent(id)).then((s) => {
  const rel = relative(s.start ? Date.parse(s.start) : 0);
  summary(s);
  story(s, rel);
  timeline(s, rel);
  root.dataset.state = "ready";
}).catch((e) => {
  document.getElementById("session-summary").replaceChildren(el("div", { class: "panel-error", text: t("error.load", { message: e.message }) }));
  root.dataset.state = "error";
});

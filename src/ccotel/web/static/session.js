// The session page: totals, the trace waterfall (beta spans) and the event timeline.
import { el, getJSON } from "./api.js";
import * as fmt from "./format.js";
import { eventRow } from "./render.js";

const root = document.getElementById("session");
const id = root.dataset.session;
const back = new URLSearchParams(location.search);
back.delete("var-session");
document.getElementById("back").href = "/?" + back.toString();
document.getElementById("home-link").href = "/?" + back.toString();

function kv(k, v, key) {
  return el("div", { class: "kv", dataset: { key } }, el("div", { class: "k", text: k }), el("div", { class: "v", text: v }));
}

function summary(s) {
  const t = s.totals;
  const m = s.metrics || {};
  const tok = t.tokens;
  document.getElementById("session-summary").replaceChildren(el("div", { class: "summary-grid" },
    kv("User", s.user || "–", "user"),
    kv("Started", s.start ? fmt.time(s.start) : "–", "start"),
    kv("Duration", fmt.seconds(s.duration_s), "duration"),
    kv("Models", (s.models || []).join(", ") || "–", "models"),
    kv("Terminal", s.terminal || "–", "terminal"),
    kv("Version", s.version || "–", "version"),
    kv("Prompts", fmt.short(t.prompts), "prompts"),
    kv("API requests", fmt.short(t.requests), "requests"),
    kv("API errors", fmt.short(t.errors), "errors"),
    kv("Tool calls", `${fmt.short(t.tool_calls)} (${fmt.short(t.tool_failures)} failed)`, "tool_calls"),
    kv("Cost", fmt.usd(t.cost_usd), "cost"),
    kv("Tokens in / out", `${fmt.short(tok.input)} / ${fmt.short(tok.output)}`, "tokens"),
    kv("Cache read / write", `${fmt.short(tok.cacheRead)} / ${fmt.short(tok.cacheCreation)}`, "cache"),
    kv("Lines + / −", `${fmt.short(m["lines_of_code.count.added"] || 0)} / ${fmt.short(m["lines_of_code.count.removed"] || 0)}`, "lines"),
    kv("Commits / PRs", `${fmt.short(m["commit.count"] || 0)} / ${fmt.short(m["pull_request.count"] || 0)}`, "git"),
    kv("Active (user / cli)", `${fmt.seconds(m["active_time.total.user"] || 0)} / ${fmt.seconds(m["active_time.total.cli"] || 0)}`, "active")));
}

function timeline(s) {
  const start = s.start ? Date.parse(s.start) : 0;
  const rel = (iso) => {
    const d = Math.max(0, (Date.parse(iso) - start) / 1000);
    const h = Math.floor(d / 3600), m = Math.floor((d % 3600) / 60), sec = (d % 60).toFixed(1);
    return `+${h ? h + ":" : ""}${String(m).padStart(2, "0")}:${sec.padStart(4, "0")}`;
  };
  const list = el("ul", { class: "events timeline", id: "timeline-list" },
    ...s.timeline.map((e) => eventRow(e, { showSession: false, relative: rel(e.time) })));
  if (!s.timeline.length) list.append(el("li", { class: "no-data", text: "No events (metrics only)" }));
  document.getElementById("timeline").replaceChildren(list);
}

function spanClass(sp) {
  if (sp.status_code === 2) return "error";
  if (sp.name.endsWith("llm_request")) return "llm";
  if (sp.name.endsWith("blocked_on_user")) return "blocked";
  if (sp.name.includes(".tool")) return "tool";
  return "";
}

function waterfall(spans) {
  if (!spans.length) return;
  document.getElementById("waterfall-panel").hidden = false;
  const traces = new Map();
  for (const sp of spans) {
    if (!traces.has(sp.trace_id)) traces.set(sp.trace_id, []);
    traces.get(sp.trace_id).push(sp);
  }
  const out = [];
  let n = 0;
  for (const [traceId, list] of traces) {
    const t0 = Math.min(...list.map((x) => x.start_unix_nano));
    const t1 = Math.max(...list.map((x) => x.end_unix_nano));
    const total = Math.max(t1 - t0, 1);
    const ids = new Set(list.map((x) => x.span_id));
    const children = new Map();
    for (const sp of list) {
      const parent = sp.parent_span_id && ids.has(sp.parent_span_id) ? sp.parent_span_id : "";
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(sp);
    }
    const rows = el("ul", { class: "wf" });
    const walk = (parent, depth) => {
      for (const sp of (children.get(parent) || []).sort((a, b) => a.start_unix_nano - b.start_unix_nano)) {
        const left = (100 * (sp.start_unix_nano - t0)) / total;
        const width = (100 * (sp.end_unix_nano - sp.start_unix_nano)) / total;
        rows.append(el("li", { class: "wf-row", dataset: { span: sp.span_id } },
          el("span", { class: "wf-name", style: `padding-left:${depth * 14}px`, title: JSON.stringify(sp.attributes), text: sp.name.replace(/^claude_code\./, "") }),
          el("span", { class: "wf-track" }, el("span", { class: "wf-bar " + spanClass(sp), style: `left:${left}%;width:${width}%` })),
          el("span", { class: "wf-dur", text: fmt.ms(sp.duration_ms) })));
        walk(sp.span_id, depth + 1);
      }
    };
    walk("", 0);
    const details = el("details", { class: "wf-trace-block" }, el("summary", { class: "wf-trace",
      text: `${fmt.time(new Date(t0 / 1e6).toISOString())} · trace ${traceId.slice(0, 12)} · ${list.length} spans · ${fmt.ms(total / 1e6)}` }), rows);
    if (n++ < 3) details.open = true;
    out.push(details);
  }
  document.getElementById("waterfall").replaceChildren(...out);
}

getJSON("/api/v1/sessions/" + encodeURIComponent(id)).then((s) => {
  summary(s);
  waterfall(s.spans || []);
  timeline(s);
  root.dataset.state = "ready";
}).catch((e) => {
  document.getElementById("session-summary").replaceChildren(el("div", { class: "panel-error", text: e.message }));
  root.dataset.state = "error";
});

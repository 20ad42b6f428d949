// The dashboard page: controls <-> URL, one fetch per panel, live logs.
import { CONFIG as config, DEFAULT_FROM, VARS, el, getJSON, isLive, query, setState, state, t, toParams } from "./api.js";
import * as fmt from "./format.js";
import * as render from "./render.js";
import { attribFilters, attribPanel, markUnfiltered } from "./attribution.js";

const PANELS = config.panels;
const RANGES = ["now-15m", "now-1h", "now-6h", "now-24h", "now-7d", "now-30d"];
const REFRESH = { "5s": 5000, "10s": 10000, "30s": 30000, "1m": 60000 };
const LIVE_MS = 2000;
const MAX_LOG_ROWS = 500;

// A young store (all its data newer than the default range) opens on the smallest range
// that holds it, so three minutes of work are not a spike at the right edge.
const SINCE = config.since ? Date.parse(config.since) : null;

function defaultFrom() {
  if (SINCE === null) return DEFAULT_FROM;
  const age = Date.now() - SINCE;
  const fits = { "now-15m": 15 * 60e3, "now-1h": 3600e3, "now-6h": 6 * 3600e3 };
  for (const [range, span] of Object.entries(fits)) if (age < span * 0.95) return range;
  return DEFAULT_FROM;
}

let S = state();
if (!S.from) S.from = defaultFrom();
let generation = 0;
let refreshTimer = null;

const $ = (id) => document.getElementById(id);
const sessionLink = (id) => {
  const p = toParams(S);
  p.delete("refresh");
  return `/sessions/${encodeURIComponent(id)}?${p}`;
};

// -- controls ---------------------------------------------------------------------------

function toLocalInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function parseBound(text, now) {
  // For the custom inputs only: the server does the real parsing.
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^now(?:-(\d+)([smhdw]))?$/.exec(text);
  if (m) return now - (m[1] ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]] * 1000 : 0);
  const t = Date.parse(text);
  return Number.isNaN(t) ? now : t;
}

function showControls() {
  const since = SINCE !== null && S.to === "now" && S.from === String(SINCE);
  const preset = since || (S.to === "now" && RANGES.includes(S.from));
  $("range").value = since ? "since" : preset ? S.from : "custom";
  $("custom-range").hidden = preset;
  if (!preset) {
    const now = Date.now();
    $("custom-from").value = toLocalInput(parseBound(S.from, now));
    $("custom-to").value = toLocalInput(parseBound(S.to, now));
  }
  $("refresh").value = REFRESH[S.refresh] ? S.refresh : "";
  for (const v of VARS) {
    const sel = $("var-" + v);
    if (S[v] && ![...sel.options].some((o) => o.value === S[v])) sel.append(option(v, S[v]));
    sel.value = S[v];
  }
  $("home-link").href = "/?" + toParams(S);
}

function option(v, x) {
  // A long value (a 64-hex user.id, a session UUID) is shortened; the full one is its title.
  const text = v === "user" ? fmt.user(x) : v === "session" ? fmt.shortId(x) : x;
  return el("option", { value: x, text, title: x });
}

function change(patch) {
  S = { ...S, ...patch };
  setState(S);
  apply();
}

function bindControls() {
  $("range").addEventListener("change", (e) => {
    if (e.target.value === "custom") {
      $("custom-range").hidden = false;
      const now = Date.now();
      $("custom-from").value = toLocalInput(parseBound(S.from, now));
      $("custom-to").value = toLocalInput(now);
      return;
    }
    change({ from: e.target.value === "since" ? String(SINCE) : e.target.value, to: "now" });
  });
  $("custom-apply").addEventListener("click", () => {
    const from = new Date($("custom-from").value).getTime();
    const to = new Date($("custom-to").value).getTime();
    if (Number.isNaN(from) || Number.isNaN(to) || from >= to) return;
    change({ from: String(from), to: String(to) });  // epoch ms, as Grafana writes them
  });
  $("refresh").addEventListener("change", (e) => change({ refresh: e.target.value }));
  $("refresh-now").addEventListener("click", () => apply({ filters: true }));
  for (const v of VARS) $("var-" + v).addEventListener("change", (e) => change({ [v]: e.target.value }));
  window.addEventListener("popstate", () => { S = state(); if (!S.from) S.from = defaultFrom(); apply(); });
}

async function loadFilters() {
  try {
    const f = await getJSON("/api/v1/filters?" + query({ ...S, ...Object.fromEntries(VARS.map((v) => [v, ""])) }));
    const lists = { user: f.users, model: f.models, session: f.sessions, terminal: f.terminals, version: f.versions };
    for (const v of VARS) {
      const sel = $("var-" + v);
      const values = lists[v].map((x) => x.value);
      if (S[v] && !values.includes(S[v])) values.unshift(S[v]);
      sel.replaceChildren(el("option", { value: "", text: t("all") }), ...values.map((x) => option(v, x)));
      sel.value = S[v];
    }
    attribFilters($("attrib-filters"), f.dimensions || {}, S.attrib, (attrib) => change({ attrib }));
    $("setup").hidden = !f.empty;
  } catch (e) {
    console.warn("filters", e);
  }
}

// -- panels -----------------------------------------------------------------------------

function section(id) { return document.getElementById("panel-" + id); }

// What an empty panel says: why it is empty and what makes data appear.
const EMPTY = {
  token_usage_rate: "empty.requests", tool_call_rate: "empty.tools", error_rate: "empty.error_rate",
  api_latency: "empty.requests", tool_usage_distribution: "empty.tools", tokens_by_type: "empty.requests",
  cost_by_model: "empty.requests", cost_by_user: "empty.requests", session_duration: "empty.sessions",
  active_time: "empty.active_time", lines_of_code: "empty.lines_of_code",
  edit_decisions: "empty.edit_decisions", top_sessions: "empty.sessions", logs: "empty.logs",
  waste: "empty.requests",
};

function draw(p, body, data) {
  const unit = p.unit;
  const opts = { empty: t(EMPTY[p.id] || "empty.default"), link: sessionLink,
    names: p.id === "cost_by_user" ? fmt.user : p.id === "session_duration" ? fmt.shortId : null };
  if (p.id.startsWith("cost_by_") && data.dimension) return attribPanel(body, data, { ...opts, empty: t("empty.requests") }, S);
  switch (p.kind) {
    case "stat": return render.stat(body, data, unit);
    case "timeseries": return render.timeseries(body, data, unit,
      { ...opts, rate: p.id.endsWith("_rate") && p.id !== "error_rate" });
    case "piechart": return render.piechart(body, data, unit, opts);
    case "bargauge": return render.bargauge(body, data, unit, opts);
    case "table": return render.table(body, data, opts);
    default: return null;
  }
}

// Panels that read the same rows (the same `together` in the catalogue) are asked for in
// one request, /api/v1/dashboard, which reads those rows once; the others one per request,
// so that the server answers them side by side and each is drawn as soon as it comes.
function batches() {
  const out = new Map();
  for (const p of PANELS) {
    if (p.kind === "logs") continue;
    const key = p.together || p.id;
    if (!out.has(key)) out.set(key, []);
    out.get(key).push(p);
  }
  return [...out.values()];
}

async function loadPanels(panels, gen) {
  for (const p of panels) section(p.id).dataset.state = "loading";
  let answer = null;
  let error = null;
  try {
    answer = await getJSON("/api/v1/dashboard?" + query(S, { panels: panels.map((p) => p.id).join(",") }));
  } catch (e) {
    error = e;
  }
  if (gen !== generation) return;
  const got = new Map(answer ? answer.panels.map((r) => [r.id, r]) : []);
  for (const p of panels) showPanel(p, got.get(p.id), error, gen);
}

function showPanel(p, res, error, gen) {
  const node = section(p.id);
  const body = node.querySelector(".panel-body");
  try {
    if (!res) throw error || new Error(p.id);
    draw(p, body, res.data);
    markUnfiltered(node, res.unfiltered);
    node.querySelector(".panel-json").href = `${p.endpoint}?${query(S)}`;
    node.dataset.state = "ready";
    node.title = `${res.from} – ${res.to}`;
  } catch (e) {
    body.replaceChildren(el("div", { class: "panel-error", text: t("error.load", { message: e.message }) }));
    node.dataset.state = "error";
  }
  node.dataset.generation = String(gen);
}

// -- logs -------------------------------------------------------------------------------

const logs = { cursor: null, keys: new Set(), list: null, timer: null, busy: false };

function logsUi() {
  const node = section("logs");
  const body = node.querySelector(".panel-body");
  const events = el("select", { id: "log-event", "aria-label": t("logs.event") },
    el("option", { value: "", text: t("logs.all") }), ...config.events.map((e) => el("option", { value: e, text: e })));
  const search = el("input", { id: "log-search", type: "search", placeholder: t("logs.search"),
    "aria-label": t("logs.search_label") });
  const live = el("label", { class: "live" }, el("input", { type: "checkbox", id: "log-live", checked: "checked" }),
    el("span", { class: "live-dot" }), " " + t("logs.live"));
  let debounce = null;
  events.addEventListener("change", () => loadLogs());
  search.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(loadLogs, 300); });
  live.querySelector("input").addEventListener("change", scheduleTail);
  logs.list = el("ul", { class: "events", id: "log-list" });
  body.replaceChildren(el("div", { class: "log-tools" }, events, search, live), el("div", { class: "log-scroll" }, logs.list));
}

function logQuery(extra = {}) {
  return query(S, { event: $("log-event").value, q: $("log-search").value, limit: 200, ...extra });
}

async function loadLogs(gen = generation) {
  const node = section("logs");
  node.dataset.state = "loading";
  try {
    const res = await getJSON("/api/v1/logs?" + logQuery());
    if (gen !== generation) return;
    logs.cursor = res.cursor;
    logs.keys = new Set(res.events.map((e) => e.key));
    logs.list.replaceChildren(...res.events.map((e) => render.eventRow(e, { link: sessionLink })));
    if (!res.events.length) logs.list.append(el("li", { class: "no-data", text: t("empty.logs") }));
    node.dataset.state = "ready";
  } catch (e) {
    logs.list.replaceChildren(el("li", { class: "panel-error", text: t("error.load", { message: e.message }) }));
    node.dataset.state = "error";
  }
  node.dataset.generation = String(gen);
  scheduleTail();
}

async function tail() {
  if (logs.busy || !logs.cursor) return;
  logs.busy = true;
  try {
    const res = await getJSON("/api/v1/logs?" + logQuery({ after: logs.cursor, limit: 500 }));
    logs.cursor = res.cursor || logs.cursor;
    const fresh = res.events.filter((e) => !logs.keys.has(e.key)).reverse();
    if (fresh.length) logs.list.querySelectorAll(":scope > .no-data").forEach((n) => n.remove());
    for (const e of fresh) {  // oldest first, each on top: newest ends up first
      logs.keys.add(e.key);
      const row = render.eventRow(e, { link: sessionLink });
      row.classList.add("fresh");
      logs.list.prepend(row);
    }
    while (logs.list.children.length > MAX_LOG_ROWS) logs.list.lastElementChild.remove();
  } catch (e) {
    console.warn("live tail", e);
  } finally {
    logs.busy = false;
  }
}

function scheduleTail() {
  clearInterval(logs.timer);
  logs.timer = null;
  const on = $("log-live").checked && isLive(S);
  section("logs").classList.toggle("is-live", on);
  if (!on) return;
  // When no cursor came back (empty store), reloading is how the first event shows up.
  logs.timer = setInterval(() => (logs.cursor ? tail() : loadLogs()), LIVE_MS);
}

// -- everything -------------------------------------------------------------------------

function apply({ filters = true, auto = false } = {}) {
  generation += 1;
  document.body.dataset.generation = String(generation);
  showControls();
  if (filters) loadFilters();
  for (const panels of batches()) loadPanels(panels, generation);
  if (auto && logs.timer) {
    // The live tail already keeps the log current: reloading it would only collapse
    // the rows someone has open.
    section("logs").dataset.generation = String(generation);
  } else {
    loadLogs(generation);
  }
  clearInterval(refreshTimer);
  if (REFRESH[S.refresh]) refreshTimer = setInterval(() => apply({ filters: false, auto: true }), REFRESH[S.refresh]);
}

bindControls();
logsUi();
setState(S, { push: false });  // the defaults become visible in the URL, ready to share
apply();

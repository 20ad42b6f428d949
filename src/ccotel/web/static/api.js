// The dashboard's state lives in the URL, in Grafana's own parameter names, so a link
// written for Grafana (?from=now-6h&to=now&var-user=...) opens the same view here.

export const VARS = ["user", "model", "session", "terminal", "version"];
export const DEFAULT_FROM = "now-6h";

// The page's config (server-rendered JSON): UI strings in the page's language, and more.
export const CONFIG = JSON.parse(document.getElementById("ccotel-config").textContent);

// A UI string from the catalogue (web/static/i18n.json), `{name}` filled from `values`.
export function t(key, values = {}) {
  const text = (CONFIG.strings || {})[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

// A data label (series, item) in the page's language when the catalogue names it.
export function label(name) {
  const key = "name." + name;
  return CONFIG.strings && key in CONFIG.strings ? CONFIG.strings[key] : name;
}

export function state() {
  const p = new URLSearchParams(location.search);
  const s = { from: p.get("from") || "", to: p.get("to") || "now", refresh: p.get("refresh") || "",
    lang: p.get("lang") || "" };
  for (const v of VARS) s[v] = p.get("var-" + v) || "";
  // Every other var- is an attribution filter (repo, branch, skill, team, ...).
  s.attrib = {};
  for (const [k, v] of p) if (k.startsWith("var-") && !VARS.includes(k.slice(4)) && v) s.attrib[k.slice(4)] = v;
  return s;
}

export function toParams(s) {
  const p = new URLSearchParams();
  p.set("from", s.from || DEFAULT_FROM);
  p.set("to", s.to);
  if (s.refresh) p.set("refresh", s.refresh);
  for (const v of VARS) if (s[v]) p.set("var-" + v, s[v]);
  for (const [k, v] of Object.entries(s.attrib || {})) if (v) p.set("var-" + k, v);
  if (s.lang) p.set("lang", s.lang);
  return p;
}

export function setState(s, { push = true } = {}) {
  const url = location.pathname + "?" + toParams(s).toString();
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

export function query(s, extra = {}) {
  // The API takes the same names; `refresh` is the page's business only.
  const p = toParams(s);
  p.delete("refresh");
  p.delete("lang");
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined && v !== "") p.set(k, v);
  return p.toString();
}

// A 503 (the server busy for a moment) is asked again after its Retry-After, a few times.
const RETRIES_503 = 4;

export async function getJSON(path) {
  let r;
  for (let attempt = 0; ; attempt++) {
    r = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (r.status !== 503 || attempt >= RETRIES_503) break;
    const wait = Math.min(Number(r.headers.get("Retry-After")) || 1, 5);
    await new Promise((done) => setTimeout(done, wait * 1000));
  }
  let body = null;
  try { body = await r.json(); } catch { body = null; }
  if (!r.ok) {
    const msg = body && body.error ? body.error.message : `${r.status} ${r.statusText}`;
    throw new Error(msg);
  }
  return body;
}

export function isLive(s) {
  // A range ending at "now" moves: the log tails it, refresh re-reads it.
  return s.to === "now" || s.to === "";
}

// Small DOM helper: every text goes through textContent, never through HTML parsing.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

// "Plan limits" and "Current block": the limits ledger (GET /api/v1/limits) above the
// panels, per account, refreshed every 30 s. Hidden while no account has any usage.
// Text goes in with textContent only (el), like every other panel; every label comes
// from the UI catalogue (t), every cell a narrow column may cut has its full text on hover.

import { el, getJSON, t, CONFIG } from "./api.js";
import { usd, short, seconds, user } from "./format.js";

const EVERY_MS = 30_000;

function left(epoch) {
  return seconds(Math.max(0, epoch - Date.now() / 1000));
}

function clock(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleString(CONFIG.lang || "en", { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

function level(pct) { return pct < 50 ? "ok" : pct < 80 ? "warn" : "bad"; }

// A table cell that a narrow column may cut: its full text is on hover.
function cell(text, attrs = {}) {
  return el("td", { ...attrs, text, title: text });
}

function windowCell(w) {
  if (!w) return cell("–", { class: "muted" });
  if (w.source === "block") return cell(t("limits.api_key"), { class: "muted" });
  const pct = Number(w.used_percentage || 0);
  const bar = el("div", { class: "limit-bar" }, el("span", { class: "limit-fill " + level(pct), style: `width:${Math.min(pct, 100)}%` }));
  const facts = [`${pct.toFixed(1)}%`];
  if (w.pace !== null && w.pace !== undefined) facts.push(t("limits.pace", { pace: w.pace.toFixed(2) }));
  facts.push(t("limits.resets_in", { left: left(w.resets_at_epoch) }));
  const lines = [facts.join(" · ")];
  if (w.projected_exhaustion) lines.push(t("limits.runs_out", { when: clock(w.projected_exhaustion) }));
  return el("td", { class: "limit-cell", title: lines.join("\n"), dataset: { used: String(pct), pace: String(w.pace ?? "") } },
    bar, el("div", { text: lines[0] }), lines[1] ? el("div", { class: "limit-out", text: lines[1] }) : null);
}

function perPercent(u) {
  const w = (u.five_hour && u.five_hour.cost_per_percent !== null && u.five_hour.cost_per_percent !== undefined) ? u.five_hour : u.seven_day;
  return w && w.cost_per_percent !== null && w.cost_per_percent !== undefined ? usd(w.cost_per_percent) : "–";
}

function header(keys) {
  return el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", { text: t(k) }))));
}

// The account as the other panels show it (a short id, the e-mail as is), in full on hover.
function userCell(u) {
  return el("td", { class: "strong", text: user(u.user), title: u.user });
}

function limitsTable(users) {
  const rows = users.map((u) => el("tr", { dataset: { user: u.user } },
    userCell(u),
    cell((u.hosts || []).join(", ") || "–"),
    windowCell(u.five_hour), windowCell(u.seven_day),
    cell(perPercent(u))));
  return el("table", { class: "data limits" },
    header(["limits.col.user", "limits.col.machines", "limits.col.five_hour", "limits.col.seven_day",
      "limits.col.per_percent"]), el("tbody", {}, ...rows));
}

function blockTable(users) {
  const rows = users.filter((u) => u.block).map((u) => {
    const b = u.block, burn = b.burnRate || {}, proj = b.projection || {};
    return el("tr", { dataset: { user: u.user, costPerHour: String(burn.costPerHour ?? "") } },
      userCell(u),
      cell(usd(b.costUSD)),
      cell(burn.costPerHour !== undefined ? t("limits.per_hour", { cost: usd(burn.costPerHour) }) : "–"),
      cell(burn.tokensPerMinute !== undefined ? short(burn.tokensPerMinute) : "–"),
      cell(proj.totalCost !== undefined ? usd(proj.totalCost) : "–"),
      cell(b.end_epoch ? left(b.end_epoch) : "–"),
      cell(String(b.activeSessions ?? 0)));
  });
  if (!rows.length) return el("div", { class: "no-data", text: t("limits.no_block") });
  return el("table", { class: "data limits" },
    header(["limits.col.user", "limits.col.block_cost", "limits.col.burn_rate", "limits.col.tokens_per_minute",
      "limits.col.projected", "limits.col.ends_in", "limits.col.active_sessions"]),
    el("tbody", {}, ...rows));
}

async function load() {
  const section = document.getElementById("limits");
  try {
    const data = await getJSON("/api/v1/limits");
    const users = data.users || [];
    section.hidden = users.length === 0;
    document.querySelector("#limits-plan .panel-body").replaceChildren(limitsTable(users));
    document.querySelector("#limits-block .panel-body").replaceChildren(blockTable(users));
    section.dataset.state = "ready";
  } catch (e) {
    section.dataset.state = "error";
    console.warn("limits", e);
  }
}

load();
setInterval(load, EVERY_MS);

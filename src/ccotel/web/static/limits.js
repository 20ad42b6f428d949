// "Plan limits" and "Current block": the limits ledger (GET /api/v1/limits) above the
// panels, per account, refreshed every 30 s. Hidden while no account has any usage.
// Text goes in with textContent only (el), like every other panel.

import { el, getJSON } from "./api.js";
import { usd, short } from "./format.js";

const EVERY_MS = 30_000;

function left(epoch) {
  let s = Math.max(0, Math.round(epoch - Date.now() / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m`;
}

function clock(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleString("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

function level(pct) { return pct < 50 ? "ok" : pct < 80 ? "warn" : "bad"; }

function windowCell(w) {
  if (!w) return el("td", { class: "muted", text: "–" });
  if (w.source === "block") return el("td", { class: "muted", text: "no official numbers (API key)" });
  const pct = Number(w.used_percentage || 0);
  const bar = el("div", { class: "limit-bar" }, el("span", { class: "limit-fill " + level(pct), style: `width:${Math.min(pct, 100)}%` }));
  const facts = [`${pct.toFixed(1)}%`];
  if (w.pace !== null && w.pace !== undefined) facts.push(`pace ${w.pace.toFixed(2)}×`);
  facts.push(`resets in ${left(w.resets_at_epoch)}`);
  const cell = el("td", { class: "limit-cell", dataset: { used: String(pct), pace: String(w.pace ?? "") } }, bar, el("div", { text: facts.join(" · ") }));
  if (w.projected_exhaustion) cell.append(el("div", { class: "limit-out", text: "runs out " + clock(w.projected_exhaustion) }));
  return cell;
}

function perPercent(u) {
  const w = (u.five_hour && u.five_hour.cost_per_percent !== null && u.five_hour.cost_per_percent !== undefined) ? u.five_hour : u.seven_day;
  return w && w.cost_per_percent !== null && w.cost_per_percent !== undefined ? usd(w.cost_per_percent) : "–";
}

function limitsTable(users) {
  const head = el("tr", {}, ...["User", "Machines", "5-hour window", "7-day window", "1% costs"].map((t) => el("th", { text: t })));
  const rows = users.map((u) => el("tr", { dataset: { user: u.user } },
    el("td", { class: "strong", text: u.user }),
    el("td", { text: (u.hosts || []).join(", ") || "–" }),
    windowCell(u.five_hour), windowCell(u.seven_day),
    el("td", { text: perPercent(u) })));
  return el("table", { class: "data limits" }, el("thead", {}, head), el("tbody", {}, ...rows));
}

function blockTable(users) {
  const head = el("tr", {}, ...["User", "Block cost", "Burn rate", "Tokens/min", "At block end", "Ends in", "Active sessions"].map((t) => el("th", { text: t })));
  const rows = users.filter((u) => u.block).map((u) => {
    const b = u.block, burn = b.burnRate || {}, proj = b.projection || {};
    return el("tr", { dataset: { user: u.user, costPerHour: String(burn.costPerHour ?? "") } },
      el("td", { class: "strong", text: u.user }),
      el("td", { text: usd(b.costUSD) }),
      el("td", { text: burn.costPerHour !== undefined ? usd(burn.costPerHour) + "/h" : "–" }),
      el("td", { text: burn.tokensPerMinute !== undefined ? short(burn.tokensPerMinute) : "–" }),
      el("td", { text: proj.totalCost !== undefined ? usd(proj.totalCost) : "–" }),
      el("td", { text: b.end_epoch ? left(b.end_epoch) : "–" }),
      el("td", { text: String(b.activeSessions ?? 0) }));
  });
  if (!rows.length) return el("div", { class: "no-data", text: "No active block" });
  return el("table", { class: "data limits" }, el("thead", {}, head), el("tbody", {}, ...rows));
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

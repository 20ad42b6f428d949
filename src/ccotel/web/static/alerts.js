// The alert banner (while something fires) and the recent alerts panel, from
// /api/v1/alerts. Every text goes through textContent (el), never through HTML parsing.
import { el, getJSON } from "./api.js";

const EVERY_MS = 10000;
const $ = (id) => document.getElementById(id);

function item(h) {
  return el("li", { class: "alert-row", dataset: { state: h.state } },
    el("time", { datetime: h.ts, text: new Date(h.ts).toLocaleString() }),
    el("span", { class: "alert-state", text: h.state }),
    el("span", { class: "alert-rule", text: h.rule }),
    el("span", { class: "alert-message", text: h.message }));
}

async function load() {
  let body;
  try {
    body = await getJSON("/api/v1/alerts?limit=20");
  } catch (e) {
    console.warn("alerts", e);
    return;
  }
  const firing = body.active.filter((a) => a.state === "firing");
  const banner = $("alert-banner");
  banner.hidden = firing.length === 0;
  banner.replaceChildren(
    el("strong", { text: firing.length === 1 ? "1 alert firing" : `${firing.length} alerts firing` }),
    ...firing.map((a) => el("span", { class: "alert-item", text: `${a.rule}: ${a.message}` })));
  const panel = $("alerts-panel");
  panel.hidden = body.rules.length === 0 && body.history.length === 0;
  const list = $("alerts-list");
  list.replaceChildren(...body.history.map(item));
  if (body.history.length === 0) list.append(el("li", { class: "no-data", text: "No alerts yet" }));
  panel.dataset.state = "ready";
}

load();
setInterval(load, EVERY_MS);

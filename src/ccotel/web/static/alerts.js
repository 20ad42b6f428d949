// The alert banner (while something fires) and the recent alerts panel, from
// /api/v1/alerts. Every text goes through textContent (el), never through HTML parsing;
// labels come from the UI catalogue (t); rule names and messages are data, shown as is.
import { el, getJSON, t } from "./api.js";
import { time } from "./format.js";

const EVERY_MS = 10000;
const $ = (id) => document.getElementById(id);

// A state in the page's language; one the catalogue does not know is shown as sent.
function stateName(state) {
  const key = "alerts.state." + state;
  const text = t(key);
  return text === key ? state : text;
}

function item(h) {
  return el("li", { class: "alert-row", dataset: { state: h.state } },
    el("time", { datetime: h.ts, text: time(h.ts) }),
    el("span", { class: "alert-state", text: stateName(h.state) }),
    el("span", { class: "alert-rule", text: h.rule, title: h.rule }),
    el("span", { class: "alert-message", text: h.message, title: h.message }));
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
    el("strong", { text: firing.length === 1 ? t("alerts.firing_one") : t("alerts.firing", { n: firing.length }) }),
    ...firing.map((a) => el("span", { class: "alert-item", text: `${a.rule}: ${a.message}`, title: `${a.rule}: ${a.message}` })));
  const panel = $("alerts-panel");
  panel.hidden = body.rules.length === 0 && body.history.length === 0;
  const list = $("alerts-list");
  list.replaceChildren(...body.history.map(item));
  if (body.history.length === 0) list.append(el("li", { class: "no-data", text: t("alerts.none") }));
  panel.dataset.state = "ready";
}

load();
setInterval(load, EVERY_MS);

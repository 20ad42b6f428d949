// A repo's page: its cost in the dashboard's range and filters, who and what spent it
// (people, models, branches, sessions: each adding up to the total) and when.
import { CONFIG, el, getJSON, t } from "./api.js";
import * as fmt from "./format.js";
import { bargauge } from "./render.js";

const root = document.getElementById("repo");
const params = new URLSearchParams(location.search);
const back = new URLSearchParams(params);
back.delete("var-repo");
if (CONFIG.lang && !back.has("lang") && params.has("lang")) back.set("lang", CONFIG.lang);
document.getElementById("back").href = "/?" + back.toString();
document.getElementById("home-link").href = "/?" + back.toString();

const api = new URLSearchParams(params);
api.delete("lang");
api.delete("refresh");
api.set("var-repo", root.dataset.repo);
document.getElementById("repo-json").href = "/api/v1/repo?" + api.toString();

const sessionLink = (id) => {
  const p = new URLSearchParams(api);
  p.delete("var-repo");
  return `/sessions/${encodeURIComponent(id)}?${p}`;
};

function kv(k, v, key) {
  return el("div", { class: "kv", dataset: { key } }, el("div", { class: "k", text: k }),
    el("div", { class: "v", text: v }));
}

// Each bar shows its cost, with its tokens and requests beside it.
const detail = (x) => t("repo.detail", { tokens: fmt.short(x.tokens), requests: fmt.short(x.requests) });

function part(name, items, opts = {}) {
  const body = document.querySelector(`#repo-${name} .panel-body`);
  bargauge(body, { items }, "currencyUSD", { empty: t("repo.empty"), detail, ...opts });
}

async function load() {
  try {
    const r = await getJSON("/api/v1/repo?" + api.toString());
    const tot = r.total;
    document.getElementById("repo-summary").replaceChildren(el("div", { class: "summary-grid" },
      kv(t("kv.cost"), fmt.usd(tot.value), "cost"),
      kv(t("kv.tokens"), fmt.short(tot.tokens), "tokens"),
      kv(t("kv.requests"), fmt.short(tot.requests), "requests"),
      kv(t("repo.sessions"), fmt.short(tot.sessions), "sessions"),
      kv(t("repo.people"), fmt.short(r.people.filter((x) => x.name !== "(other)").length), "people")));
    part("over_time", r.over_time.items);
    part("people", r.people, { names: fmt.user });
    part("models", r.models);
    part("branches", r.branches);
    part("sessions", r.sessions.map((x) => ({ ...x, session_id: x.name === "(other)" ? undefined : x.name })),
      { link: sessionLink, names: fmt.shortId });
    root.dataset.state = "ready";
  } catch (e) {
    document.getElementById("repo-summary").replaceChildren(
      el("div", { class: "panel-error", text: t("error.load", { message: e.message }) }));
    root.dataset.state = "error";
  }
}

load();

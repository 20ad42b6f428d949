// Attribution on the dashboard: a filter for each dimension the range has values for
// (repo, branch, query source, effort, speed, skill, subagent, plugin, MCP server and tool,
// and resource keys such as team), and the "Cost by ..." panels, whose repo bars open the
// repo's page.
import { el, t, toParams } from "./api.js";
import * as fmt from "./format.js";
import { bargauge } from "./render.js";

// A dimension's label: the catalogue's when it has one, else the key as found in the data.
function dimLabel(dim) {
  const k = "var." + dim;
  const x = t(k);
  return x === k ? dim : x;
}

// Rebuild the attribution filters: one select per dimension with values in the range, plus
// any set in the URL (kept, so a shared link shows what it filters by).
export function attribFilters(box, dimensions, current, onChange) {
  const dims = [...new Set([...Object.keys(dimensions), ...Object.keys(current)])];
  box.replaceChildren(...dims.map((dim) => {
    const values = (dimensions[dim] || []).map((x) => x.value);
    if (current[dim] && !values.includes(current[dim])) values.unshift(current[dim]);
    const sel = el("select", { id: "var-" + dim, dataset: { var: dim }, "aria-label": dimLabel(dim) },
      el("option", { value: "", text: t("all") }),
      ...values.map((v) => el("option", { value: v, text: v, title: v })));
    sel.value = current[dim] || "";
    sel.addEventListener("change", () => onChange({ ...current, [dim]: sel.value }));
    // A key found in the data (no label in the catalogue) is shown as it is: data.
    const label = dimLabel(dim);
    return el("label", { class: "ctl" }, el("span", { text: label, class: label === dim ? "dim-key" : null }), sel);
  }));
}

// The page of `repo` in the dashboard's range and filters.
export function repoLink(repo, state) {
  const p = toParams({ ...state, attrib: { ...state.attrib, repo } });
  p.delete("refresh");
  return "/repo?" + p.toString();
}

// A "Cost by ..." panel: bars of cost, tokens and requests on hover; repos link to their page.
export function attribPanel(body, data, opts, state) {
  const detail = (x) => t("repo.detail", { tokens: fmt.short(x.tokens), requests: fmt.short(x.requests) });
  const itemLink = data.dimension === "repo" ? (x) => (x.name === "(other)" ? null : repoLink(x.name, state)) : null;
  bargauge(body, data, "currencyUSD", { ...opts, detail, itemLink });
}

// A panel that could not apply some filters (a request's skill, effort, ... on a panel read
// from rollups or sessions) says so in its header; the hover names them.
export function markUnfiltered(node, dims) {
  let badge = node.querySelector(".unfiltered");
  if (!dims || !dims.length) { if (badge) badge.remove(); return; }
  if (!badge) {
    badge = el("span", { class: "badge unfiltered" });
    node.querySelector(".panel-title").after(badge);
  }
  badge.textContent = t("badge.unfiltered");
  badge.title = t("badge.unfiltered_hint", { dims: dims.map(dimLabel).join(", ") });
}

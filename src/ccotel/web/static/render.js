// Panel renderers: JSON from /api/v1/panels/<id> in, DOM out. Data is only ever placed
// with textContent (via el()), so an attribute holding markup shows as text.
import { el } from "./api.js";
import * as fmt from "./format.js";

export const PALETTE = ["#73BF69", "#F2CC0C", "#5794F2", "#FF9830", "#F2495C", "#B877D9",
  "#8AB8FF", "#FFB357", "#96D98D", "#CA95E5", "#FF7383", "#56A64B"];

const AXIS = { stroke: "#9fa7b3", grid: { stroke: "rgba(204,204,220,0.07)", width: 1 },
  ticks: { stroke: "rgba(204,204,220,0.12)", width: 1 }, font: "11px system-ui, sans-serif" };

export function stat(body, data, unit) {
  const v = data.value;
  body.replaceChildren(el("div", { class: "stat" },
    el("div", { class: "stat-value" + (v === null ? " empty" : ""), text: fmt.value(v, unit),
      "data-value": v === null ? "" : String(v), title: v === null ? "no data" : String(v) })));
}

function legendItem(name, color, text, extra = {}) {
  return el("li", { class: "legend-item", dataset: { series: name, ...extra } },
    el("span", { class: "swatch", style: `background:${color}` }),
    el("span", { class: "legend-name", text: name }),
    el("span", { class: "legend-value", text }));
}

export function timeseries(body, data, unit, { rate = false } = {}) {
  if (body._plot) { body._plot.destroy(); body._plot = null; }
  if (body._resize) body._resize.disconnect();
  const chart = el("div", { class: "chart" });
  const legend = el("ul", { class: "legend" });
  body.replaceChildren(chart, legend);
  const series = data.series || [];
  const totalUnit = unit === "percentunit" ? "percentunit" : "short";
  const totals = series.map((s) => (s.total === null || s.total === undefined ? "" :
    (rate ? "total " : "") + fmt.value(s.total, totalUnit)));
  series.forEach((s, i) => legend.append(legendItem(s.name, PALETTE[i % PALETTE.length], totals[i],
    { total: s.total === null || s.total === undefined ? "" : String(s.total) })));
  if (!series.length || !data.times.length) {
    chart.append(el("div", { class: "no-data", text: "No data" }));
    return;
  }
  const yfmt = (u, vals) => vals.map((v) => (v === null ? "" : fmt.value(v, unit)));
  const opts = {
    width: Math.max(body.clientWidth, 200),
    height: Math.max(body.clientHeight - legend.offsetHeight - 6, 80),
    legend: { show: false },
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [{ ...AXIS, space: 70 }, { ...AXIS, size: 64, values: yfmt }],
    series: [{}, ...series.map((s, i) => ({
      label: s.name, stroke: PALETTE[i % PALETTE.length], width: 1.5,
      // Filled areas read as volume: right for rates, wrong for latencies and ratios.
      fill: unit === "ms" ? undefined : PALETTE[i % PALETTE.length] + "1f", spanGaps: false,
      points: { show: false },
    }))],
    hooks: {
      setCursor: [(u) => {
        // Hovering shows each series' value at that time; leaving shows the totals again.
        const idx = u.cursor.idx;
        legend.querySelectorAll(".legend-value").forEach((node, i) => {
          const v = idx === null || idx === undefined ? null : u.data[i + 1][idx];
          node.textContent = idx === null || idx === undefined ? totals[i] :
            (v === null || v === undefined ? "–" : fmt.value(v, unit));
        });
      }],
    },
  };
  const plot = new uPlot(opts, [data.times, ...series.map((s) => s.values)], chart);
  body._plot = plot;
  body._resize = new ResizeObserver(() => {
    plot.setSize({ width: Math.max(body.clientWidth, 200),
      height: Math.max(body.clientHeight - legend.offsetHeight - 6, 80) });
  });
  body._resize.observe(body);
}

export function piechart(body, data, unit) {
  const items = data.items || [];
  const total = items.reduce((a, x) => a + (x.value || 0), 0);
  const canvas = el("canvas", { class: "pie", width: 220, height: 220 });
  const legend = el("ul", { class: "legend pie-legend" });
  body.replaceChildren(el("div", { class: "pie-wrap" }, canvas, legend));
  if (!total) { body.replaceChildren(el("div", { class: "no-data", text: "No data" })); return; }
  const ctx = canvas.getContext("2d");
  let a = -Math.PI / 2;
  items.forEach((x, i) => {
    const share = (x.value || 0) / total;
    const color = PALETTE[i % PALETTE.length];
    ctx.beginPath();
    ctx.moveTo(110, 110);
    ctx.arc(110, 110, 100, a, a + share * 2 * Math.PI);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
    a += share * 2 * Math.PI;
    legend.append(legendItem(x.name, color, `${fmt.value(x.value, unit)} (${fmt.percent(share)})`,
      { value: String(x.value) }));
  });
  ctx.beginPath();
  ctx.arc(110, 110, 55, 0, 2 * Math.PI);
  ctx.fillStyle = "#181b1f";
  ctx.fill();
}

export function bargauge(body, data, unit, { link } = {}) {
  const items = data.items || [];
  if (!items.length) { body.replaceChildren(el("div", { class: "no-data", text: "No data" })); return; }
  const max = Math.max(...items.map((x) => x.value || 0), 1e-12);
  const list = el("ul", { class: "bars" });
  items.forEach((x, i) => {
    const name = link && x.session_id ? el("a", { href: link(x.session_id), text: x.name }) : x.name;
    list.append(el("li", { class: "bar-row", dataset: { name: x.name, value: String(x.value) } },
      el("span", { class: "bar-name", title: x.name }, name),
      el("span", { class: "bar-track" }, el("span", { class: "bar-fill",
        style: `width:${Math.max(0.5, (100 * (x.value || 0)) / max)}%;background:${PALETTE[i % PALETTE.length]}` })),
      el("span", { class: "bar-value", text: fmt.value(x.value, unit) })));
  });
  body.replaceChildren(list);
}

export function table(body, data, { link } = {}) {
  const cols = data.columns || [];
  const rows = data.rows || [];
  if (!rows.length) { body.replaceChildren(el("div", { class: "no-data", text: "No data" })); return; }
  const head = el("tr", {}, ...cols.map((c) => el("th", { text: c.title, class: "u-" + c.unit })));
  const tbody = el("tbody");
  for (const r of rows) {
    const tr = el("tr", { dataset: r.session_id ? { session: r.session_id } : {} });
    for (const c of cols) {
      const v = r[c.id];
      const text = c.unit === "session" ? String(v).slice(0, 8) : fmt.value(v, c.unit);
      const content = c.unit === "session" && link ? el("a", { href: link(v), text, title: v }) : text;
      tr.append(el("td", { class: "u-" + c.unit, dataset: { col: c.id, value: v === null ? "" : String(v) } },
        content));
    }
    tbody.append(tr);
  }
  body.replaceChildren(el("div", { class: "table-wrap" },
    el("table", { class: "data" }, el("thead", {}, head), tbody)));
}

function attrValue(v) {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function attributesTable(ev, { link } = {}) {
  const rows = [];
  const add = (group, obj) => {
    for (const [k, v] of Object.entries(obj || {})) {
      rows.push(el("tr", {}, el("td", { class: "attr-group", text: group }),
        el("td", { class: "attr-key", text: k }), el("td", { class: "attr-value", text: attrValue(v) })));
    }
  };
  add("attribute", ev.attributes);
  add("resource", ev.resource);
  const wrap = el("div", { class: "attrs" });
  if (link && ev.session_id) {
    wrap.append(el("a", { class: "session-link", href: link(ev.session_id), text: "Open session timeline →" }));
  }
  wrap.append(el("table", { class: "attr-table" }, el("tbody", {}, ...rows)));
  return wrap;
}

export function eventRow(ev, { link, showSession = true, relative = null } = {}) {
  const cls = "ev ev-" + (ev.event || "other") + (ev.attributes && ev.attributes.success === false ? " failed" : "");
  const row = el("li", { class: cls, dataset: { key: ev.key || "", cursor: ev.cursor || "", event: ev.event || "" } });
  const line = el("div", { class: "ev-line", role: "button", tabindex: "0" },
    el("span", { class: "ev-time", text: relative !== null ? relative : fmt.time(ev.time) }),
    el("span", { class: "ev-name", text: ev.event || "?" }),
    showSession ? el("span", { class: "ev-user", text: ev.user || "" }) : null,
    el("span", { class: "ev-summary", text: ev.summary || "" }));
  const toggle = () => {
    const open = row.querySelector(".attrs");
    if (open) { open.remove(); row.classList.remove("open"); return; }
    row.classList.add("open");
    row.append(attributesTable(ev, { link: showSession ? link : null }));
  };
  line.addEventListener("click", toggle);
  line.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
  row.append(line);
  return row;
}

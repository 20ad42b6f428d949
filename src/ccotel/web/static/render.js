// Panel renderers: JSON from /api/v1/panels/<id> in, DOM out. Data is only ever placed
// with textContent (via el()), so an attribute holding markup shows as text.
import { el, label, t } from "./api.js";
import * as fmt from "./format.js";

export const PALETTE = ["#73BF69", "#F2CC0C", "#5794F2", "#FF9830", "#F2495C", "#B877D9",
  "#8AB8FF", "#FFB357", "#96D98D", "#CA95E5", "#FF7383", "#56A64B"];

const AXIS = { stroke: "#9fa7b3", grid: { stroke: "rgba(204,204,220,0.07)", width: 1 },
  ticks: { stroke: "rgba(204,204,220,0.12)", width: 1 }, font: "11px system-ui, sans-serif" };

export function stat(body, data, unit) {
  const v = data.value;
  body.replaceChildren(el("div", { class: "stat" },
    el("div", { class: "stat-value" + (v === null ? " empty" : ""), text: fmt.value(v, unit),
      "data-value": v === null ? "" : String(v), title: v === null ? t("empty.stat") : String(v) })));
}

function legendItem(name, color, text, extra = {}, shown = label(name)) {
  return el("li", { class: "legend-item", dataset: { series: name, ...extra } },
    el("span", { class: "swatch", style: `background:${color}` }),
    el("span", { class: "legend-name", text: shown, title: name }),
    el("span", { class: "legend-value", text }));
}

function noData(text) {
  return el("div", { class: "no-data" }, el("p", { text }));
}

// A value with no neighbour (one point in the range, or between gaps) is drawn as a dot:
// a line needs two.
function isolated(values) {
  return values.some((v, i) => v !== null && (i === 0 || values[i - 1] === null) &&
    (i === values.length - 1 || values[i + 1] === null));
}

// The y-axis starts at 0 and ends a little above the largest value; all zeros keep a small
// floor (0–1 for counts, 0–1 % for ratios) instead of an axis of nothing. Ratios stop at 100 %.
function yRange(unit) {
  return (u, min, max) => {
    const top = unit === "percentunit" ? Math.min(1, (max || 0) * 1.15) : (max || 0) * 1.1;
    return [Math.min(0, min || 0), Math.max(top, unit === "percentunit" ? 0.01 : 1)];
  };
}

export function timeseries(body, data, unit, { rate = false, empty = "" } = {}) {
  if (body._plot) { body._plot.destroy(); body._plot = null; }
  if (body._resize) body._resize.disconnect();
  const chart = el("div", { class: "chart" });
  const legend = el("ul", { class: "legend" });
  body.replaceChildren(chart, legend);
  const series = data.series || [];
  const totalUnit = unit === "percentunit" ? "percentunit" : "short";
  const totals = series.map((s) => (s.total === null || s.total === undefined ? "" :
    rate ? t("legend.total", { value: fmt.value(s.total, totalUnit) }) : fmt.value(s.total, totalUnit)));
  series.forEach((s, i) => legend.append(legendItem(s.name, PALETTE[i % PALETTE.length], totals[i],
    { total: s.total === null || s.total === undefined ? "" : String(s.total) })));
  if (!series.length || !data.times.length || !series.some((s) => s.values.some((v) => v !== null))) {
    body.replaceChildren(noData(empty));
    return;
  }
  const per = rate ? t("per_minute") : "";
  const yfmt = (u, vals) => vals.map((v) => (v === null ? "" : fmt.value(v, unit) + per));
  const opts = {
    width: Math.max(body.clientWidth, 200),
    height: Math.max(body.clientHeight - legend.offsetHeight - 6, 80),
    legend: { show: false },
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: yRange(unit) } },
    axes: [{ ...AXIS, space: 70 }, { ...AXIS, size: rate ? 76 : 64, values: yfmt }],
    series: [{}, ...series.map((s, i) => ({
      label: s.name, stroke: PALETTE[i % PALETTE.length], width: 1.5,
      // Filled areas read as volume: right for rates, wrong for latencies and ratios.
      fill: unit === "ms" ? undefined : PALETTE[i % PALETTE.length] + "1f", spanGaps: false,
      points: { show: isolated(s.values), size: 6, fill: PALETTE[i % PALETTE.length] },
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

export function piechart(body, data, unit, { empty = "" } = {}) {
  const items = data.items || [];
  const total = items.reduce((a, x) => a + (x.value || 0), 0);
  const canvas = el("canvas", { class: "pie", width: 220, height: 220 });
  const legend = el("ul", { class: "legend pie-legend" });
  body.replaceChildren(el("div", { class: "pie-wrap" }, canvas, legend));
  if (!total) { body.replaceChildren(noData(empty)); return; }
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

// `itemLink(x)` links an item elsewhere than a session; `detail(x)` is its hover text.
export function bargauge(body, data, unit, { link, empty = "", names = null, itemLink = null, detail = null } = {}) {
  const items = data.items || [];
  if (!items.length) { body.replaceChildren(noData(empty)); return; }
  const max = Math.max(...items.map((x) => x.value || 0), 1e-12);
  const list = el("ul", { class: "bars" });
  items.forEach((x, i) => {
    const shown = names ? names(x.name) : label(x.name);
    const href = link && x.session_id ? link(x.session_id) : itemLink ? itemLink(x) : null;
    const name = href ? el("a", { href, text: shown }) : shown;
    list.append(el("li", { class: "bar-row", title: detail ? `${x.name}: ${detail(x)}` : null,
      dataset: { name: x.name, value: String(x.value) } },
      el("span", { class: "bar-name", title: x.name }, name),
      el("span", { class: "bar-track" }, el("span", { class: "bar-fill",
        style: `width:${Math.max(0.5, (100 * (x.value || 0)) / max)}%;background:${PALETTE[i % PALETTE.length]}` })),
      el("span", { class: "bar-value", text: fmt.value(x.value, unit) })));
  });
  body.replaceChildren(list);
}

function cellText(c, v) {
  if (c.unit === "session") return fmt.shortId(v);
  if (c.id === "user") return fmt.user(v);
  return fmt.value(v, c.unit);
}

export function table(body, data, { link, empty = "" } = {}) {
  const cols = data.columns || [];
  const rows = data.rows || [];
  if (!rows.length) { body.replaceChildren(noData(empty)); return; }
  const title = (c) => { const k = "col." + c.id; const x = t(k); return x === k ? c.title : x; };
  const head = el("tr", {}, ...cols.map((c) => el("th", { text: title(c), class: "u-" + c.unit })));
  const tbody = el("tbody");
  for (const r of rows) {
    const tr = el("tr", { dataset: r.session_id ? { session: r.session_id } : {} });
    for (const c of cols) {
      const v = r[c.id];
      const text = cellText(c, v);
      const full = v === null || v === undefined ? "" : String(v);
      const content = c.unit === "session" && link ? el("a", { href: link(v), text, title: full }) : text;
      tr.append(el("td", { class: "u-" + c.unit, title: full !== text ? full : null,
        dataset: { col: c.id, value: full } }, content));
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
  add(t("attr.attribute"), ev.attributes);
  add(t("attr.resource"), ev.resource);
  const wrap = el("div", { class: "attrs" });
  if (link && ev.session_id) {
    wrap.append(el("a", { class: "session-link", href: link(ev.session_id), text: t("logs.open_session") }));
  }
  wrap.append(el("table", { class: "attr-table" }, el("tbody", {}, ...rows)));
  return wrap;
}

export function eventRow(ev, { link, showSession = true, relative = null } = {}) {
  const cls = "ev ev-" + (ev.event || "other") + (ev.attributes && ev.attributes.success === false ? " failed" : "");
  const row = el("li", { class: cls, dataset: { key: ev.key || "", cursor: ev.cursor || "", event: ev.event || "" } });
  const line = el("div", { class: "ev-line", role: "button", tabindex: "0" },
    relative !== null ? el("span", { class: "ev-time", text: relative, title: fmt.time(ev.time) })
      : el("span", { class: "ev-time", title: fmt.time(ev.time) },
        el("span", { class: "ev-date", text: fmt.time(ev.time).slice(0, 11) }), fmt.time(ev.time, false)),
    el("span", { class: "ev-name", text: ev.event || "?", title: ev.event || null }),
    showSession ? el("span", { class: "ev-user", text: ev.user ? fmt.user(ev.user) : "", title: ev.user || null }) : null,
    el("span", { class: "ev-summary", text: ev.summary || "", title: ev.summary || null }));
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

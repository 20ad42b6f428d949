// Number formatting by Grafana unit id. Every function returns plain text: callers put it
// in the page with textContent only.

const SI = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];

function trim(x, digits) {
  return Number(x.toFixed(digits)).toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function short(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  for (const [n, s] of SI) if (a >= n) return trim(v / n, a / n >= 100 ? 0 : a / n >= 10 ? 1 : 2) + " " + s;
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return trim(v, a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

export function usd(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  if (a >= 1e6) return "$" + short(v);
  const digits = a === 0 ? 2 : a < 0.01 ? 4 : 2;
  return "$" + v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ms(v) {
  if (v === null || v === undefined) return "–";
  if (Math.abs(v) >= 10000) return trim(v / 1000, 1) + " s";
  return Math.round(v).toLocaleString("en-US") + " ms";
}

export function seconds(v) {
  if (v === null || v === undefined) return "–";
  let s = Math.round(v);
  if (s < 60) return (v < 10 ? trim(v, 1) : s) + " s";
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const parts = [];
  if (d) parts.push(d + "d");
  if (h) parts.push(h + "h");
  if (m && !d) parts.push(m + "m");
  if (s && !d && !h) parts.push(s + "s");
  return parts.join(" ");
}

export function percent(v) {
  if (v === null || v === undefined) return "–";
  return trim(v * 100, Math.abs(v) < 0.1 ? 2 : 1) + "%";
}

export function value(v, unit) {
  switch (unit) {
    case "currencyUSD": return usd(v);
    case "ms": return ms(v);
    case "s": return seconds(v);
    case "percentunit": return percent(v);
    case "time": return v ? time(v) : "–";
    case "string": case "session": return v === null || v === undefined ? "–" : String(v);
    default: return short(v);
  }
}

export function time(iso, withDate = true) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}` : t;
}

// An id too long to read (a 64-hex user.id, a session UUID): its first 8 characters.
export function shortId(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return s.length > 12 ? s.slice(0, 8) + "…" : s;
}

// A user as people read it: the e-mail when that is what we have, else a short id.
export function user(v) {
  if (v === null || v === undefined || v === "") return "–";
  const s = String(v);
  return s.includes("@") ? s : shortId(s);
}

"""Layout checks run in the page: what a person would see as broken at some width.

`PROBLEMS` returns a list of strings, one per problem: the page scrolls sideways; a text
box is cut off by its box (unless it ends in an ellipsis and its full text is on hover);
a text box sticks out of the panel that holds it; two sibling text boxes overlap.
"""

PROBLEMS = r"""() => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > vw + 1)
    out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
  const visible = (n) => {
    const r = n.getBoundingClientRect();
    const s = getComputedStyle(n);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const ownText = (n) => [...n.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
  const name = (n) => {
    const p = n.closest("[data-panel], .panel, .topbar, .story, .kv");
    const where = p ? (p.dataset.panel || p.className.split(" ")[0]) : "page";
    return `${where} ${n.tagName.toLowerCase()}.${n.className} "${n.textContent.trim().slice(0, 40)}"`;
  };
  // Text inside a scrolling box (a long table, the log) may scroll out of view: that is
  // not clipping. Everything else must fit.
  const inScroller = (n) => {
    for (let p = n.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (["auto", "scroll"].includes(s.overflowX) || ["auto", "scroll"].includes(s.overflowY)) return true;
      if (p.classList.contains("panel")) return false;
    }
    return false;
  };
  const texts = [...document.querySelectorAll("body *")].filter(
    (n) => ownText(n) && visible(n) && !["SCRIPT", "STYLE", "OPTION", "SELECT", "PRE", "TITLE"].includes(n.tagName) &&
      !n.closest("select, pre, [hidden]"));
  for (const n of texts) {
    const s = getComputedStyle(n);
    const ellipsis = s.textOverflow === "ellipsis";
    if (n.scrollWidth > n.clientWidth + 1 && s.display !== "inline" && s.overflowX !== "visible") {
      const full = n.getAttribute("title") || (n.closest("[title]") || {}).title;
      if (!ellipsis) out.push(`clipped: ${name(n)} (${n.scrollWidth} > ${n.clientWidth})`);
      else if (!full) out.push(`cut with an ellipsis but no full text on hover: ${name(n)}`);
    }
    const panel = n.closest(".panel");
    if (panel && !inScroller(n)) {
      const r = n.getBoundingClientRect(), b = panel.getBoundingClientRect();
      const range = document.createRange();
      range.selectNodeContents(n);
      const tr = range.getBoundingClientRect();  // the text itself, not its (maybe wider) box
      const box = ellipsis || s.overflowX === "hidden" ? r : tr;
      if (box.left < b.left - 1 || box.right > b.right + 1 || box.top < b.top - 1 || box.bottom > b.bottom + 1)
        out.push(`outside its panel: ${name(n)}`);
    }
  }
  // Sibling text boxes must not overlap (labels, titles, legend entries, controls).
  const parents = new Set(texts.map((n) => n.parentElement));
  for (const p of parents) {
    const kids = [...p.children].filter((c) => visible(c) && c.textContent.trim() && !c.closest("select"));
    for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
      const a = kids[i].getBoundingClientRect(), b = kids[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) out.push(`overlap: ${name(kids[i])} / ${name(kids[j])}`);
    }
  }
  return [...new Set(out)].slice(0, 40);
}"""

// Hand-written SVG charts for the metrics page: figures over time (bars or lines) and
// ranked bars. The plot stretches to its box (preserveAspectRatio="none", strokes that do
// not scale); every label is HTML beside it, so text keeps its size on a phone. Colours
// come from CSS classes, so light and dark follow the page's variables.

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 1000;
const HEIGHT = 200;

function svg(tag, attributes, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  for (const child of children) if (child) el.appendChild(child);
  return el;
}

/** The smallest 1, 2, 2.5 or 5 times a power of ten that is at least value (1 for 0). */
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value * (1 - 1e-9)) return step * power;
  return 10 * power;
}

function stackedTops(series, count) {
  const tops = new Array(count).fill(0);
  for (const item of series) item.values.forEach((value, index) => (tops[index] += value ?? 0));
  return tops;
}

function bars(series, count, max, slotWidth) {
  const base = new Array(count).fill(0);
  const gap = Math.min(slotWidth * 0.2, 6);
  const groups = [];
  for (const item of series) {
    const rects = [];
    item.values.forEach((value, index) => {
      if (!value) return;
      const height = (HEIGHT * value) / max;
      const y = HEIGHT - base[index] - height;
      base[index] += height;
      rects.push(svg("rect", { x: index * slotWidth + gap / 2, y, width: Math.max(slotWidth - gap, 1), height }));
    });
    groups.push(svg("g", { class: `series ${item.cls}` }, ...rects));
  }
  return groups;
}

function line(item, max, slotWidth) {
  let d = "";
  let open = false;
  item.values.forEach((value, index) => {
    if (value === null || value === undefined) {
      open = false;
      return;
    }
    const x = (index + 0.5) * slotWidth;
    const y = HEIGHT - (HEIGHT * value) / max;
    d += `${open ? "L" : "M"}${x.toFixed(2)} ${y.toFixed(2)}`;
    // A lone point is a zero-length segment; round caps draw it as a dot.
    if (!open) d += "h0.01";
    open = true;
  });
  return svg("path", { class: `series line ${item.cls}`, d, "vector-effect": "non-scaling-stroke" });
}

/**
 * A chart of figures per time slot.
 *   id: names the chart (data-chart); title; total: text beside the title;
 *   slots: [{label, title}] (label under the axis, title in the read-out);
 *   series: [{name, cls, values: [number|null]}] (stacked bars, or lines);
 *   type: "bar" | "line"; format: number -> text (tickFormat for the axis, else format).
 */
export function timeChart({ id, title, total, slots, series, type, format, tickFormat }) {
  const count = slots.length;
  const top = type === "bar" ? Math.max(0, ...stackedTops(series, count)) : Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined)));
  const max = niceCeiling(top);
  const slotWidth = WIDTH / Math.max(count, 1);
  const grid = [0, 0.5, 1].map((f) =>
    svg("line", { class: "grid", x1: 0, x2: WIDTH, y1: HEIGHT * (1 - f), y2: HEIGHT * (1 - f), "vector-effect": "non-scaling-stroke" }),
  );
  const marks = type === "bar" ? bars(series, count, max, slotWidth) : series.map((item) => line(item, max, slotWidth));
  const hover = svg("rect", { class: "hover", x: 0, y: 0, width: slotWidth, height: HEIGHT, visibility: "hidden" });
  const plot = svg(
    "svg",
    { class: "plot", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", "aria-hidden": "true" },
    hover,
    ...grid,
    ...marks,
  );
  const readout = h("span", { class: "chart-readout", "aria-live": "off" });
  const describe = (index) => {
    const parts = series.map((item) => `${item.name} ${format(item.values[index] ?? null)}`);
    return `${slots[index].title} · ${parts.join(" · ")}`;
  };
  const point = (event) => {
    const box = plot.getBoundingClientRect();
    if (!box.width || !count) return;
    const index = Math.min(count - 1, Math.max(0, Math.floor(((event.clientX - box.left) / box.width) * count)));
    hover.setAttribute("x", String(index * slotWidth));
    hover.setAttribute("visibility", "visible");
    readout.textContent = describe(index);
  };
  plot.addEventListener("pointermove", point);
  plot.addEventListener("pointerdown", point);
  plot.addEventListener("pointerleave", () => {
    hover.setAttribute("visibility", "hidden");
    readout.textContent = "";
  });
  const ticks = [1, 0.5, 0].map((f) => h("span", { class: "tick", style: { top: `${(1 - f) * 100}%` } }, (tickFormat ?? format)(max * f)));
  const every = Math.max(1, Math.ceil(count / 6));
  const labels = slots.map((slot, index) =>
    h("span", { class: "x-label", style: { left: `${((index + 0.5) * 100) / Math.max(count, 1)}%` } }, index % every === 0 ? slot.label : ""),
  );
  const legend =
    series.length > 1
      ? h("span", { class: "legend" }, series.map((item) => h("span", { class: `legend-item ${item.cls}` }, item.name)))
      : null;
  const summary = `${title}: ${total}. Highest ${format(top)} in one ${slots.length ? "slot" : "—"}.`;
  return h(
    "figure",
    { class: "chart panel", dataset: { chart: id }, role: "group", "aria-label": summary },
    h("figcaption", null, h("span", { class: "chart-title" }, title), h("span", { class: "chart-total" }, total), legend),
    h("div", { class: "chart-body" }, h("div", { class: "y-axis", "aria-hidden": "true" }, ticks), h("div", { class: "plot-box" }, plot)),
    h("div", { class: "x-axis", "aria-hidden": "true" }, labels),
    h("div", { class: "chart-foot" }, readout),
  );
}

/**
 * Ranked bars: rows [{label, value, detail}] (largest first), each bar a share of the
 * largest value. empty: the sentence shown without rows.
 */
export function rankedBars({ id, title, rows, format, empty, control }) {
  const max = Math.max(0, ...rows.map((row) => row.value ?? 0));
  return h(
    "section",
    { class: "panel ranked", dataset: { ranked: id } },
    h("div", { class: "ranked-head" }, h("h2", null, title), control ?? null),
    rows.length
      ? h(
          "ol",
          { class: "ranked-list" },
          rows.map((row) =>
            h(
              "li",
              { class: "ranked-row", dataset: { key: row.label } },
              h("span", { class: ["ranked-label", row.missing && "muted"], title: row.label }, row.label),
              h("span", { class: "ranked-value" }, format(row.value)),
              h(
                "span",
                { class: "ranked-track", "aria-hidden": "true" },
                h("span", { class: "ranked-fill", style: { width: `${max ? (100 * (row.value ?? 0)) / max : 0}%` } }),
              ),
              h("span", { class: "ranked-detail muted" }, row.detail),
            ),
          ),
        )
      : h("p", { class: "muted ranked-empty" }, empty),
  );
}

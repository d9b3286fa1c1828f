// The time axis of the session trace: where each request's bar starts and how long it is,
// in the microseconds the collector stores, and the numbers of parallel branches.

import { h } from "../dom.js";
import { formatDuration, toMicros } from "../format.js";

const STEPS = [1, 2, 5];

/** A round tick interval giving at most maxTicks ticks over spanMs. */
export function tickStep(spanMs, maxTicks = 5) {
  const raw = Math.max(spanMs, 0.001) / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of STEPS) if (step * power >= raw) return step * power;
  return 10 * power;
}

/** 0.2 ms, 250 ms, 2 s, 1.5 s, 2 m 30 s: tick labels without needless zeros. */
export function formatTick(ms) {
  if (ms < 1000) return `${Number(ms.toPrecision(3))} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))} s`;
  return formatDuration(ms);
}

/** Start and end (µs since the epoch; end null while running) of a request. */
export function requestSpan(request) {
  return { start: toMicros(request.start_time), end: toMicros(request.end_time) };
}

/**
 * The shared time axis of requests: origin (µs) is the first start, the horizon the last
 * end (or nowUs while a request runs). place(start, end) gives a bar's left and width in
 * percent of the track.
 */
export function timeScale(requests, nowUs) {
  let origin = Infinity;
  let horizon = -Infinity;
  let running = false;
  for (const request of requests) {
    const { start, end } = requestSpan(request);
    if (start === null) continue;
    origin = Math.min(origin, start);
    horizon = Math.max(horizon, end ?? start);
    if (end === null) running = true;
  }
  if (origin === Infinity) return null;
  if (running) horizon = Math.max(horizon, nowUs);
  const span = Math.max(horizon - origin, 1);
  return {
    origin,
    horizon,
    spanMs: span / 1000,
    place(start, end) {
      return { left: (100 * (start - origin)) / span, width: (100 * ((end ?? horizon) - start)) / span };
    },
  };
}

/** The axis header: a label over the tree column, tick labels over the bars. */
export function axis(scale, label) {
  const step = tickStep(scale.spanMs);
  const ticks = [];
  for (let i = 0; i * step <= scale.spanMs * (1 + 1e-9); i += 1) {
    const t = i * step;
    ticks.push(h("span", { class: "trace-tick", style: { left: `${(100 * t) / scale.spanMs}%` } }, t === 0 ? "0" : formatTick(t)));
  }
  return h(
    "div",
    { class: "trace-head", "aria-hidden": "true" },
    h("span", { class: "trace-head-label" }, label),
    h("div", { class: "trace-scale" }, ticks),
  );
}

/** The tick interval as a percentage of the track, for the grid lines behind the bars. */
export function gridStep(scale) {
  return (100 * tickStep(scale.spanMs)) / scale.spanMs;
}

/**
 * Number the parallel branches (branch_id, a LangGraph Send task) of the requests: a branch
 * starts at the shortest path among its requests, and the branches starting at one path are
 * numbered 1, 2, … by their first request (the CLI's rule). Paths that ran one branch only
 * get no numbers. Returns a Map of branch id to number.
 */
export function branchNumbers(requests) {
  const first = new Map(); // branch id -> {path, start}
  const depth = (path) => path.split("/").length;
  for (const request of requests) {
    const id = request.branch_id;
    if (!id) continue;
    const start = toMicros(request.start_time) ?? Infinity;
    const path = request.session_path;
    const known = first.get(id);
    if (!known) {
      first.set(id, { path, start });
      continue;
    }
    const shorter = depth(path) < depth(known.path) || (depth(path) === depth(known.path) && path < known.path);
    first.set(id, { path: shorter ? path : known.path, start: Math.min(start, known.start) });
  }
  const byPath = new Map();
  for (const [id, { path, start }] of first) {
    const list = byPath.get(path) ?? [];
    list.push({ id, start });
    byPath.set(path, list);
  }
  const numbers = new Map();
  for (const list of byPath.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
    list.forEach(({ id }, index) => numbers.set(id, index + 1));
  }
  return numbers;
}

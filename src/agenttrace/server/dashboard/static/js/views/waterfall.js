// The timeline: one row per request in start order, a bar from its start to its end on a
// shared time axis, so parallel branches overlap and slow steps stand out.

import { h } from "../dom.js";
import { formatDuration, formatInt, toMillis } from "../format.js";
import { requestStatus, statusInfo } from "../status.js";
import { requestTitle } from "./request_panel.js";

const STEPS = [1, 2, 5];

/** A round tick interval giving at most maxTicks ticks over spanMs. */
export function tickStep(spanMs, maxTicks = 5) {
  const raw = Math.max(spanMs, 1) / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of STEPS) if (step * power >= raw) return step * power;
  return 10 * power;
}

/** Label the branches of each path that ran more than once in parallel: "⎇ 1", "⎇ 2"… */
function branchLabels(requests) {
  const byPath = new Map();
  for (const request of requests) {
    if (!request.branch_id) continue;
    const ids = byPath.get(request.session_path) ?? [];
    if (!ids.includes(request.branch_id)) ids.push(request.branch_id);
    byPath.set(request.session_path, ids);
  }
  const labels = new Map();
  for (const request of requests) {
    const ids = byPath.get(request.session_path);
    if (ids && ids.length > 1) labels.set(request.request_id, `⎇ ${ids.indexOf(request.branch_id) + 1}`);
  }
  return labels;
}

/** 250 ms, 2 s, 1.5 s, 2 m 30 s: tick labels without needless zeros. */
function formatTick(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))} s`;
  return formatDuration(ms);
}

function axis(spanMs) {
  const step = tickStep(spanMs);
  const ticks = [];
  for (let i = 0; i * step <= spanMs + 1e-9; i += 1) {
    const t = i * step;
    ticks.push(
      h("span", { class: "wf-tick", style: { left: `${(100 * t) / spanMs}%` } }, t === 0 ? "0" : formatTick(t)),
    );
  }
  return h(
    "div",
    { class: "wf-axis", "aria-hidden": "true" },
    h("span", { class: "wf-axis-label" }, "Request"),
    h("div", { class: "wf-scale" }, ticks),
  );
}

/**
 * The waterfall for requests. options: {selectedId, onSelect(requestId), now (ms, the end
 * of bars still running)}.
 */
export function renderWaterfall(requests, options) {
  const rows = requests
    .map((request) => ({ request, start: toMillis(request.request_created_at), end: toMillis(request.response_created_at) }))
    .filter((row) => row.start !== null)
    .sort((a, b) => a.start - b.start || (a.end ?? Infinity) - (b.end ?? Infinity));
  if (!rows.length) return h("p", { class: "placeholder" }, "No requests.");
  const origin = rows[0].start;
  const lastEnd = rows.reduce((most, row) => Math.max(most, row.end ?? row.start), origin);
  const horizon = rows.some((row) => row.end === null) ? Math.max(lastEnd, options.now ?? lastEnd) : lastEnd;
  const span = Math.max(horizon - origin, 1);
  const branches = branchLabels(requests);
  return h(
    "div",
    { class: "waterfall" },
    axis(span),
    h(
      "ol",
      { class: "wf-rows", "aria-label": "Requests in time order" },
      rows.map(({ request, start, end }) => {
        const status = requestStatus(request);
        const info = statusInfo(status);
        const left = (100 * (start - origin)) / span;
        const width = (100 * ((end ?? horizon) - start)) / span;
        const selected = request.request_id === options.selectedId;
        const duration = end === null ? "running" : formatDuration(end - start);
        const branch = branches.get(request.request_id);
        return h(
          "li",
          null,
          h(
            "button",
            {
              type: "button",
              class: ["wf-row", `is-${status}`, selected && "is-selected"],
              "aria-current": selected ? "true" : null,
              dataset: { requestId: request.request_id, status },
              title: `${request.session_path} · ${requestTitle(request)} · ${info.label} · ${duration}` +
                (request.total_tokens ? ` · ${formatInt(request.total_tokens)} tokens` : ""),
              onclick: () => options.onSelect(request.request_id),
            },
            h(
              "span",
              { class: "wf-label" },
              h("span", { class: ["wf-status", `status-${status}`], "aria-hidden": "true" }, info.icon),
              h(
                "span",
                { class: "wf-text" },
                h("span", { class: "wf-name" }, requestTitle(request)),
                h("span", { class: "wf-path" }, request.session_path),
              ),
              branch ? h("span", { class: "wf-branch", title: `branch ${request.branch_id}` }, branch) : null,
              status !== "ok" ? h("span", { class: ["status-word", `status-${status}`] }, info.label) : null,
              h("span", { class: "wf-duration" }, duration),
            ),
            h(
              "span",
              { class: "wf-track" },
              h("span", {
                class: ["wf-bar", `kind-${request.kind}`, `is-${status}`],
                style: { left: `${left}%`, width: `max(${width}%, 3px)` },
              }),
            ),
          ),
        );
      }),
    ),
    h(
      "p",
      { class: "wf-legend" },
      ["llm", "tool", "vector_db", "chain", "custom"].map((kind) =>
        h("span", { class: "legend-item" }, h("span", { class: `legend-swatch kind-${kind}`, "aria-hidden": "true" }), kind),
      ),
      h("span", { class: "legend-item" }, h("span", { class: "legend-swatch is-error", "aria-hidden": "true" }), "✕ error"),
      h("span", { class: "legend-item" }, h("span", { class: "legend-swatch is-interrupted", "aria-hidden": "true" }), "‖ interrupted"),
    ),
  );
}

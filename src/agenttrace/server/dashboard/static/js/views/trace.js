// The session trace: one view of the tree and the timeline, as trace viewers draw it. Each
// row is a tree node (a folder per path segment, figures rolled up over its subtree, or a
// leaf per loaded request) with its bar on a shared time axis in the same row: a request's
// bar from its start to its end, a folder's from the first start to the last end below it.
// Children, folders and requests alike, are in order of their first start. Folders open and
// close; a leaf (or its bar) opens the request; a folder with requests not loaded yet says
// how many.

import { h } from "../dom.js";
import { formatCost, formatDuration, formatInt } from "../format.js";
import { requestStatus, statusInfo } from "../status.js";
import { requestTitle } from "./request_panel.js";
import { axis, branchNumbers, gridStep, requestSpan, timeScale } from "./trace_scale.js";

function figures(parts) {
  return h(
    "span",
    { class: "tree-figures" },
    parts.filter(Boolean).map((part) => h("span", { class: "tree-figure" }, part)),
  );
}

function errorFigure(count) {
  if (!count) return null;
  return h(
    "span",
    { class: "tree-errors" },
    h("span", { "aria-hidden": "true" }, "✕ "),
    `${formatInt(count)} ${count === 1 ? "error" : "errors"}`,
  );
}

/** The row of one node: its label (indented by depth) and its track with the bar. */
function row(depth, label, track, rowClass) {
  return h("div", { class: ["trace-row", rowClass], style: { "--depth": depth } }, h("div", { class: "trace-label" }, label), track);
}

function track(bar, onClick) {
  return h("span", { class: "trace-track", "aria-hidden": "true", onclick: onClick }, bar);
}

function barStyle(place) {
  return { left: `${place.left}%`, width: `max(${place.width}%, 2px)` };
}

/** What a question to a human asked and was answered (bodies fetched apart; may be absent). */
function humanText(request, context) {
  const bodies = context.options.questions?.get(request.id);
  // A question asked as {question: "...", ...} (a common interrupt payload) shows its question.
  const text = (value) => {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    if (typeof value === "object" && typeof value.question === "string") return value.question;
    return JSON.stringify(value);
  };
  const clip = (value) => (value.length > 60 ? `${value.slice(0, 59)}…` : value);
  return { question: clip(text(bodies?.question)), answer: clip(text(bodies?.answer)) };
}

function leaf(item, depth, context) {
  const { request, start, end } = item;
  const status = requestStatus(request);
  const info = statusInfo(status);
  const human = request.kind === "human" ? humanText(request, context) : null;
  const selected = request.id === context.options.selectedId;
  const branch = request.branch_id ? context.branches.get(request.branch_id) : undefined;
  // latency_ms is the collector's (end - start) in µs / 1000; the bar is placed from the same µs.
  const waited = human && end === null ? "waiting" : null;
  const duration = waited ?? (end === null ? "running" : formatDuration(request.latency_ms ?? (end - start) / 1000));
  const select = () => context.options.onSelect(request.id);
  const button = h(
    "button",
    {
      type: "button",
      class: ["tree-leaf", `is-${status}`, selected && "is-selected"],
      "aria-current": selected ? "true" : null,
      dataset: { requestId: request.id, status },
      onclick: select,
    },
    h("span", { class: ["leaf-status", `status-${status}`], title: info.label, "aria-hidden": "true" }, info.icon),
    h("span", { class: `kind kind-${request.kind}` }, request.kind),
    h(
      "span",
      { class: "tree-name" },
      requestTitle(request),
      request.model && request.name && request.model !== request.name ? h("span", { class: "muted" }, ` ${request.model}`) : null,
      human?.question ? h("span", { class: "human-question" }, ` “${human.question}”`) : null,
      human?.answer ? h("span", { class: "human-answer muted" }, ` → ${human.answer}`) : null,
    ),
    branch ? h("span", { class: "branch-mark", title: `parallel branch ${branch} (${request.branch_id})` }, `⎇ ${branch}`) : null,
    status !== "ok" ? h("span", { class: ["status-word", `status-${status}`] }, info.label) : null,
    figures([
      h("span", { class: "leaf-duration" }, duration),
      request.total_tokens ? `${formatInt(request.total_tokens)} tok` : null,
      request.cost_usd ? formatCost(request.cost_usd) : null,
    ]),
  );
  const bar =
    start === null
      ? null
      : h("span", {
          class: ["trace-bar", `kind-${request.kind}`, `is-${status}`, end === null && "is-running", human && "human-gap"],
          dataset: { barFor: request.id, duration },
          title: human
            ? `${request.session_path} · waiting for a human${human.question ? `: “${human.question}”` : ""} · ${
                end === null ? "no answer yet" : `answered after ${duration}${human.answer ? `: ${human.answer}` : ""}`
              }`
            : `${request.session_path} · ${requestTitle(request)} · ${info.label} · ${duration}`,
          style: barStyle(context.scale.place(start, end)),
        });
  return h("li", { class: "tree-item" }, row(depth, button, track(bar, select), "is-request"));
}

/** The loaded requests below a node, and when the first of them started (µs). */
function subtreeSpan(node, context) {
  let start = Infinity;
  let end = -Infinity;
  let running = false;
  const visit = (current) => {
    for (const item of context.itemsByPath.get(current.path) ?? []) {
      if (item.start === null) continue;
      start = Math.min(start, item.start);
      if (item.end === null) running = true;
      else end = Math.max(end, item.end);
    }
    current.children.forEach(visit);
  };
  visit(node);
  if (start === Infinity) return null;
  return { start, end: running ? null : Math.max(end, start) };
}

function folder(node, depth, context) {
  const { options } = context;
  const key = node.path;
  const open = !options.collapsed.has(key);
  const items = context.itemsByPath.get(node.path) ?? [];
  const missing = (context.countsByPath.get(node.path) ?? 0) - items.length;
  const children = [
    ...node.children.map((child) => ({ first: subtreeSpan(child, context)?.start ?? Infinity, node: child })),
    ...items.map((item) => ({ first: item.start ?? Infinity, item })),
  ].sort((a, b) => a.first - b.first || (a.item && b.item ? (a.item.end ?? Infinity) - (b.item.end ?? Infinity) : 0));
  const childList = h(
    "ul",
    { class: "tree-children", hidden: !open },
    children.map((child) => (child.node ? folder(child.node, depth + 1, context) : leaf(child.item, depth + 1, context))),
    missing > 0
      ? h(
          "li",
          { class: "tree-item" },
          row(depth + 1, h("span", { class: "tree-not-loaded muted" }, `${formatInt(missing)} more ${missing === 1 ? "request" : "requests"} not loaded`), h("span"), "is-note"),
        )
      : null,
  );
  const toggle = h(
    "button",
    {
      type: "button",
      class: "tree-folder",
      "aria-expanded": String(open),
      dataset: { path: node.path },
      onclick: () => {
        const nowOpen = childList.hidden;
        childList.hidden = !nowOpen;
        toggle.setAttribute("aria-expanded", String(nowOpen));
        if (nowOpen) options.collapsed.delete(key);
        else options.collapsed.add(key);
      },
    },
    h("span", { class: "tree-caret", "aria-hidden": "true" }),
    h("span", { class: "tree-name" }, depth === 0 ? "/" : node.name),
    errorFigure(node.error_count),
    figures([
      `${formatInt(node.request_count)} ${node.request_count === 1 ? "request" : "requests"}`,
      formatDuration(node.duration_ms),
      node.total_tokens ? `${formatInt(node.total_tokens)} tok` : null,
      node.cost_usd ? formatCost(node.cost_usd) : null,
    ]),
  );
  const span = subtreeSpan(node, context);
  const bar = span
    ? h("span", {
        class: ["trace-bar", "trace-span", missing > 0 && "is-partial"],
        title:
          `${node.path} · ${formatDuration(node.duration_ms)} from the first start to the last end` +
          (missing > 0 ? ` (${formatInt(missing)} requests not loaded)` : ""),
        style: barStyle(context.scale.place(span.start, span.end)),
      })
    : null;
  return h(
    "li",
    { class: ["tree-item", node.error_count && "has-errors"] },
    row(depth, toggle, track(bar, () => toggle.click()), "is-folder"),
    childList,
  );
}

function legend() {
  return h(
    "p",
    { class: "trace-legend" },
    ["llm", "tool", "vector_db", "chain", "custom"].map((kind) =>
      h("span", { class: "legend-item" }, h("span", { class: `legend-swatch kind-${kind}`, "aria-hidden": "true" }), kind),
    ),
    h("span", { class: "legend-item" }, h("span", { class: "legend-swatch kind-human human-gap", "aria-hidden": "true" }), "human (waiting for an answer)"),
    h("span", { class: "legend-item" }, h("span", { class: "legend-swatch trace-span", "aria-hidden": "true" }), "path (first start to last end)"),
    h("span", { class: "legend-item" }, h("span", { class: "legend-swatch is-error", "aria-hidden": "true" }), "✕ error"),
    h("span", { class: "legend-item" }, h("span", { class: "legend-swatch is-interrupted", "aria-hidden": "true" }), "‖ interrupted"),
  );
}

/**
 * The trace of a session. requests: the loaded requests; countsByPath: how many requests
 * each path has in all. options: {selectedId, collapsed: Set of paths (kept by the caller
 * across refreshes), onSelect(requestId), nowUs (µs, where bars still running end),
 * questions: Map of a human record's id to {question, answer}}. A question to a human is
 * drawn as a gap: a hatched bar from when it was asked to its answer (or to now).
 */
export function renderTrace(tree, requests, countsByPath, options) {
  const itemsByPath = new Map();
  for (const request of requests) {
    const list = itemsByPath.get(request.session_path) ?? [];
    list.push({ request, ...requestSpan(request) });
    itemsByPath.set(request.session_path, list);
  }
  const scale = timeScale(requests, options.nowUs);
  if (!scale) {
    return h("p", { class: "placeholder" }, "No requests loaded.");
  }
  const context = { options, itemsByPath, countsByPath, scale, branches: branchNumbers(requests) };
  return h(
    "div",
    { class: "trace", style: { "--grid-step": `${gridStep(scale)}%` } },
    axis(scale, "Path and request"),
    h("ul", { class: "tree", "aria-label": "Session tree" }, folder(tree, 0, context)),
    legend(),
  );
}

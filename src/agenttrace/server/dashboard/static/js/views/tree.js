// The session tree: a folder per path segment (figures rolled up over its subtree) and a
// leaf per request loaded; a folder with requests not loaded yet says how many. Folders
// open and close; a leaf opens the request.

import { h } from "../dom.js";
import { formatCost, formatDuration, formatInt } from "../format.js";
import { requestStatus, statusInfo } from "../status.js";
import { requestTitle } from "./request_panel.js";

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

function leaf(request, options) {
  const status = requestStatus(request);
  const info = statusInfo(status);
  const selected = request.request_id === options.selectedId;
  return h(
    "li",
    { class: "tree-item" },
    h(
      "button",
      {
        type: "button",
        class: ["tree-leaf", `is-${status}`, selected && "is-selected"],
        "aria-current": selected ? "true" : null,
        dataset: { requestId: request.request_id },
        onclick: () => options.onSelect(request.request_id),
      },
      h("span", { class: ["leaf-status", `status-${status}`], title: info.label, "aria-hidden": "true" }, info.icon),
      h("span", { class: `kind kind-${request.kind}` }, request.kind),
      h(
        "span",
        { class: "tree-name" },
        requestTitle(request),
        request.model && request.name && request.model !== request.name
          ? h("span", { class: "muted" }, ` ${request.model}`)
          : null,
      ),
      status !== "ok" ? h("span", { class: ["status-word", `status-${status}`] }, info.label) : null,
      figures([
        formatDuration(request.delay_ms),
        request.total_tokens ? `${formatInt(request.total_tokens)} tok` : null,
        request.cost ? formatCost(request.cost) : null,
      ]),
    ),
  );
}

function folder(node, requestsByPath, countsByPath, options, depth) {
  const key = node.path;
  const open = !options.collapsed.has(key);
  const leaves = requestsByPath.get(node.path) ?? [];
  const missing = (countsByPath.get(node.path) ?? 0) - leaves.length;
  const childList = h(
    "ul",
    { class: "tree-children", hidden: !open },
    node.children.map((child) => folder(child, requestsByPath, countsByPath, options, depth + 1)),
    leaves.map((request) => leaf(request, options)),
    missing > 0
      ? h("li", { class: "tree-item tree-not-loaded muted" }, `${formatInt(missing)} more ${missing === 1 ? "request" : "requests"} not loaded`)
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
      node.total_cost ? formatCost(node.total_cost) : null,
    ]),
  );
  return h("li", { class: ["tree-item", node.error_count && "has-errors"] }, toggle, childList);
}

/**
 * The tree as nested lists. requestsByPath: the loaded requests of each path in time order;
 * countsByPath: how many requests each path has in all. options: {selectedId, collapsed:
 * Set of paths (kept by the caller across refreshes), onSelect(requestId)}.
 */
export function renderTree(tree, requestsByPath, countsByPath, options) {
  return h("ul", { class: "tree", "aria-label": "Session tree" }, folder(tree, requestsByPath, countsByPath, options, 0));
}

// Pieces several views share: error notices, sortable headers, time ranges, live status.

import { promptForApiKey } from "./auth.js";
import { h, replaceChildren } from "./dom.js";
import { formatClock } from "./format.js";

/** A notice for an error (the collector's sentence, shown as text). */
export function errorNotice(error) {
  const status = error?.status ? ` (HTTP ${error.status})` : "";
  return h(
    "div",
    { class: "notice notice-error", role: "alert" },
    h("span", { class: "notice-icon", "aria-hidden": "true" }, "⚠"),
    h("span", null, `${error?.message ?? String(error)}${status}`),
    error?.status === 401
      ? h(
          "button",
          {
            type: "button",
            class: "button button-small",
            onclick: async () => {
              if (await promptForApiKey("")) window.location.reload();
            },
          },
          "Enter API key",
        )
      : null,
  );
}

/** A paragraph for a view or table that has nothing to show. */
export function emptyState(title, ...lines) {
  return h(
    "div",
    { class: "empty" },
    h("p", { class: "empty-title" }, title),
    lines.map((line) => h("p", { class: "muted" }, line)),
  );
}

/**
 * A <th> whose button sorts by key: aria-sort tells the current order, an arrow shows it.
 * onSort(key) is called on click.
 */
export function sortableHeader(column, sort, order, onSort) {
  const active = sort === column.key;
  const ariaSort = active ? (order === "asc" ? "ascending" : "descending") : "none";
  return h(
    "th",
    {
      scope: "col",
      class: [column.numeric && "num", active && "sorted"],
      "aria-sort": ariaSort,
    },
    h(
      "button",
      {
        type: "button",
        class: "sort-button",
        dataset: { sort: column.key },
        title: `Sort by ${(column.title ?? column.label).toLowerCase()}`,
        onclick: () => onSort(column.key),
      },
      column.label,
      h("span", { class: "sort-arrow", "aria-hidden": "true" }, active ? (order === "asc" ? "▲" : "▼") : "↕"),
    ),
  );
}

export const RANGES = [
  { value: "", label: "Any time" },
  { value: "15m", label: "Last 15 minutes", ms: 15 * 60e3 },
  { value: "1h", label: "Last hour", ms: 3600e3 },
  { value: "24h", label: "Last 24 hours", ms: 86400e3 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86400e3 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86400e3 },
  { value: "custom", label: "Between…" },
];

/** The API's since/until for a range choice ("24h", or "custom" with explicit times). */
export function rangeToTimes(range, since, until, now = Date.now()) {
  const preset = RANGES.find((item) => item.value === range && item.ms);
  if (preset) return { since: new Date(now - preset.ms).toISOString(), until: "" };
  if (range === "custom") return { since: since ?? "", until: until ?? "" };
  return { since: "", until: "" };
}

/** <select> of time ranges. */
export function rangeSelect(id, value, onChange) {
  return h(
    "select",
    { id, name: "range", onchange: (event) => onChange(event.target.value) },
    RANGES.map((item) => h("option", { value: item.value, selected: item.value === value }, item.label)),
  );
}

/** A labelled form field. */
export function field(label, control, { wide = false, id } = {}) {
  return h(
    "div",
    { class: ["field", wide && "field-wide"] },
    h("label", { for: id ?? control.id }, label),
    control,
  );
}

/**
 * "● Live · updated 07:29:03 [Pause]": shows when the poller last refreshed and lets the
 * user pause it. Returns {element, refreshed(), failed(error)}.
 */
export function liveIndicator(poller) {
  const text = h("span", { class: "live-text" }, "Live");
  const dot = h("span", { class: "live-dot", "aria-hidden": "true" });
  const button = h("button", { type: "button", class: "button button-small" }, "Pause");
  const element = h("div", { class: "live", "data-state": "live" }, dot, text, button);
  button.addEventListener("click", () => {
    const paused = !poller.paused;
    poller.setPaused(paused);
    element.dataset.state = paused ? "paused" : "live";
    button.textContent = paused ? "Resume" : "Pause";
    if (paused) text.textContent = "Paused";
  });
  return {
    element,
    refreshed() {
      if (poller.paused) return;
      element.dataset.state = "live";
      replaceChildren(text, `Live · updated ${formatClock(new Date().toISOString()).slice(0, 8)}`);
    },
    failed(error) {
      element.dataset.state = "failed";
      replaceChildren(text, `Refresh failed: ${error?.message ?? error}`);
    },
  };
}

/** A small figure with its label, for summary strips. */
export function stat(label, value, { title } = {}) {
  return h(
    "div",
    { class: "stat", title },
    h("span", { class: "stat-label" }, label),
    h("span", { class: "stat-value" }, value),
  );
}

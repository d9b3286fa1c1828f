// Paths view: for a session name (or every session), every path with its call count,
// latency percentiles, error rate and cost across those sessions. The p95 bars share a scale
// that one outlier cannot flatten: a p95 far above the others is cut at the scale's end and
// marked, with its value written beside it.

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice, field, rangeSelect, rangeToTimes, sortableHeader } from "../components.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { formatCost, formatDuration, formatInt, formatPercent } from "../format.js";
import { replaceHash } from "../router.js";

const COLUMNS = [
  { key: "path", label: "Path", text: true },
  { key: "request_count", label: "Calls", numeric: true },
  { key: "session_count", label: "Sessions", numeric: true },
  { key: "p50_latency_ms", label: "p50 latency", numeric: true },
  { key: "p95_latency_ms", label: "p95 latency", numeric: true },
  { key: "human_wait_p95_ms", label: "Human wait", title: "Time humans took to answer: p50 / p95", numeric: true },
  { key: "error_rate", label: "Error rate", numeric: true },
  { key: "cost_usd", label: "Cost", numeric: true },
  { key: "cost_per_call", label: "Cost / call", numeric: true },
  { key: "total_tokens", label: "Tokens", numeric: true },
];

function derived(row) {
  return {
    ...row,
    error_rate: row.request_count ? row.error_count / row.request_count : 0,
    cost_per_call: row.cost_usd === null || !row.request_count ? null : row.cost_usd / row.request_count,
  };
}

function compare(key, order) {
  const sign = order === "asc" ? 1 : -1;
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return a.path < b.path ? -1 : 1;
    if (x === null || x === undefined) return 1; // unknowns last either way
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * sign;
  };
}

const OUTLIER_FACTOR = 4; // a p95 above 4x the median p95 is an outlier

/**
 * The scale of the p95 bars: {max, clipped}. max is the largest p95 that is not an outlier
 * (at most OUTLIER_FACTOR times the median), but never below the 75th percentile, so that at
 * most a quarter of the rows go beyond it; those are drawn cut at the end of the track and
 * marked (clipped is true when there are any).
 */
export function p95Scale(values) {
  const sorted = values.filter((value) => value > 0).sort((a, b) => a - b);
  const n = sorted.length;
  if (!n) return { max: 0, clipped: false };
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const typical = sorted.filter((value) => value <= OUTLIER_FACTOR * median).at(-1);
  const max = Math.max(typical, sorted[Math.floor(0.75 * (n - 1))]);
  return { max, clipped: max < sorted[n - 1] };
}

function p95Bar(value, scale) {
  const beyond = scale.clipped && value > scale.max;
  const width = beyond ? 100 : scale.max && value ? (100 * value) / scale.max : 0;
  return h(
    "span",
    { class: ["bar-cell", beyond && "is-beyond"], title: beyond ? `${formatDuration(value)}: beyond the bars' scale (${formatDuration(scale.max)})` : null },
    h("span", { class: "bar-track", "aria-hidden": "true" }, h("span", { class: "bar-fill", style: { width: `${width}%` } })),
    beyond ? h("span", { class: "bar-beyond", "aria-hidden": "true" }, "⟫") : null,
    h("span", { class: "bar-value" }, formatDuration(value)),
  );
}

function cell(key, row, scale) {
  switch (key) {
    case "path":
      return h("span", { class: "path-cell" }, row.path);
    case "p50_latency_ms":
      return formatDuration(row.p50_latency_ms);
    case "p95_latency_ms":
      return p95Bar(row.p95_latency_ms, scale);
    case "human_wait_p95_ms":
      return row.human_count
        ? h(
            "span",
            { class: "human-wait", title: `${formatInt(row.human_count)} questions to a human; p50 / p95 of the time to answer` },
            `${formatDuration(row.human_wait_p50_ms)} / ${formatDuration(row.human_wait_p95_ms)}`,
          )
        : "—";
    case "error_rate":
      return row.error_count
        ? h("span", { class: "error-count" }, `${formatPercent(row.error_count, row.request_count)} (${formatInt(row.error_count)})`)
        : "0%";
    case "cost_usd":
      return formatCost(row.cost_usd);
    case "cost_per_call":
      return formatCost(row.cost_per_call);
    default:
      return formatInt(row[key]);
  }
}

export class PathsView {
  constructor(root, _arg, params) {
    this.root = root;
    this.state = this.readState(params);
    this.rows = [];
    this.controller = null;
    this.applyName = debounce(() => this.setState({ session_name: this.nameInput.value.trim() }), 400);
    this.render();
    this.load();
    this.loadNames();
  }

  readState(params) {
    return {
      session_name: params.get("session_name") ?? "",
      range: params.get("range") ?? "",
      sort: params.get("sort") || "path",
      order: params.get("order") === "desc" ? "desc" : "asc",
    };
  }

  destroy() {
    this.applyName.cancel();
    this.controller?.abort();
    this.namesController?.abort();
  }

  update(params) {
    this.state = this.readState(params);
    if (document.activeElement !== this.nameInput) this.nameInput.value = this.state.session_name;
    this.rangeControl.value = this.state.range;
    this.renderLead();
    this.load();
  }

  setState(changes) {
    const reload = "session_name" in changes || "range" in changes;
    this.state = { ...this.state, ...changes };
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(this.state)) {
      if (value && !(key === "sort" && value === "path") && !(key === "order" && value === "asc")) params.set(key, value);
    }
    replaceHash(["paths"], params);
    if (reload) this.load();
    else this.renderTable();
  }

  render() {
    this.names = h("datalist", { id: "path-session-names" });
    this.nameInput = h("input", {
      id: "paths-session-name",
      type: "search",
      list: "path-session-names",
      value: this.state.session_name,
      placeholder: "all sessions",
      autocomplete: "off",
      oninput: () => this.applyName(),
    });
    this.rangeControl = rangeSelect("paths-range", this.state.range, (range) => this.setState({ range }));
    this.notice = h("div", { class: "notice-slot" });
    this.lead = h("p", { class: "muted lead" });
    this.caption = h("p", { class: "result-summary", "aria-live": "polite" });
    this.tableSlot = h("div", { class: "table-wrap" }, h("p", { class: "placeholder" }, "Loading…"));
    replaceChildren(
      this.root,
      h("div", { class: "view-header" }, h("h1", null, "Paths")),
      this.lead,
      h(
        "form",
        {
          class: "filters",
          role: "search",
          "aria-label": "Choose sessions",
          onsubmit: (event) => {
            event.preventDefault();
            this.applyName.cancel();
            this.setState({ session_name: this.nameInput.value.trim() });
          },
        },
        field("Session name", this.nameInput),
        this.names,
        field("Time", this.rangeControl),
      ),
      this.notice,
      this.caption,
      this.tableSlot,
    );
    this.renderLead();
  }

  async load() {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const { since, until } = rangeToTimes(this.state.range);
    let answer;
    try {
      answer = await getJSON(
        "v1/paths",
        { session_name: this.state.session_name, since, until },
        { signal: controller.signal },
      );
    } catch (error) {
      if (isAbort(error)) return;
      replaceChildren(this.notice, errorNotice(error));
      replaceChildren(this.tableSlot);
      return;
    }
    if (controller !== this.controller) return;
    replaceChildren(this.notice);
    this.rows = answer.paths.map(derived);
    this.renderTable();
  }

  /** The sentence under the title, for the name chosen (or none). */
  renderLead() {
    const name = this.state.session_name;
    const what = "how often it runs, how long it takes, how often it fails and what it costs.";
    this.lead.textContent = name
      ? `Every path of the sessions named “${name}”, across those sessions: ${what}`
      : `Every path of every session: ${what} Choose a session name to see the paths of one kind of session.`;
  }

  renderTable() {
    this.renderLead();
    const who = this.state.session_name ? `sessions named “${this.state.session_name}”` : "all sessions";
    this.caption.textContent = `${formatInt(this.rows.length)} ${this.rows.length === 1 ? "path" : "paths"} in ${who}`;
    if (!this.rows.length) {
      replaceChildren(
        this.tableSlot,
        emptyState("No paths.", this.state.session_name ? "No session with this name has requests in this time range." : "No requests yet."),
      );
      return;
    }
    const rows = [...this.rows].sort(compare(this.state.sort, this.state.order));
    const scale = p95Scale(rows.map((row) => row.p95_latency_ms ?? 0));
    const onSort = (key) => {
      const column = COLUMNS.find((c) => c.key === key);
      const order = key === this.state.sort ? (this.state.order === "asc" ? "desc" : "asc") : column.text ? "asc" : "desc";
      this.setState({ sort: key, order });
    };
    replaceChildren(
      this.tableSlot,
      h(
        "table",
        { class: "data-table paths-table" },
        h("thead", null, h("tr", null, COLUMNS.map((column) => sortableHeader(column, this.state.sort, this.state.order, onSort)))),
        h(
          "tbody",
          null,
          rows.map((row) =>
            h(
              "tr",
              { class: row.error_count && "row-error", dataset: { path: row.path } },
              COLUMNS.map((column) =>
                h("td", { class: [column.numeric && "num", `col-${column.key}`], dataset: { label: column.label } }, cell(column.key, row, scale)),
              ),
            ),
          ),
        ),
      ),
      scale.clipped
        ? h(
            "p",
            { class: "scale-note muted" },
            `p95 bars share a scale up to ${formatDuration(scale.max)}; longer ones are cut and marked ⟫.`,
          )
        : null,
    );
  }

  async loadNames() {
    this.namesController = new AbortController();
    try {
      const page = await getJSON(
        "v1/sessions",
        { sort: "last_start_time", order: "desc", limit: "200" },
        { signal: this.namesController.signal },
      );
      const names = [...new Set(page.sessions.map((s) => s.session_name).filter(Boolean))].sort();
      replaceChildren(this.names, names.map((name) => h("option", { value: name })));
    } catch {
      // Suggestions are a convenience only.
    }
  }
}

// Live view: requests as the collector stores them (GET /v1/feed), newest on top, for the
// session filters. It follows the feed's cursor every two seconds and keeps the last
// MAX_ROWS requests on screen.

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatCost, formatDuration, formatInt, formatTime, formatWhen } from "../format.js";
import { sessionHref } from "../router.js";
import { requestStatus, statusBadge } from "../status.js";
import { FilteredView } from "./filtered_view.js";
import { activeFilterCount, filterApiParams } from "./session_filters.js";

const POLL_MS = 2000;
const MAX_ROWS = 500;

const COLUMNS = [
  { key: "start", label: "Started" },
  { key: "session", label: "Session" },
  { key: "path", label: "Path" },
  { key: "what", label: "Call" },
  { key: "status", label: "Status" },
  { key: "latency", label: "Latency", numeric: true },
  { key: "tokens", label: "Tokens", numeric: true },
  { key: "cost", label: "Cost", numeric: true },
];

// Field names of a request row, before and after the store's renaming.
const startOf = (r) => r.start_time;
const tokensOf = (r) => r.total_tokens;

function cell(key, r) {
  switch (key) {
    case "start":
      return h("time", { datetime: startOf(r), title: formatTime(startOf(r)) }, formatWhen(startOf(r)));
    case "session":
      return h("a", { href: sessionHref(r.session_id, r.id) }, r.session_name || r.session_id);
    case "path":
      return h("span", { class: "path-cell" }, r.session_path);
    case "what":
      return h("span", { class: "call" }, h("span", { class: `kind kind-${r.kind}` }, r.kind), " ", r.model || r.name);
    case "status":
      return statusBadge(requestStatus(r));
    case "latency":
      return formatDuration(r.latency_ms);
    case "tokens":
      return formatInt(tokensOf(r));
    default:
      return formatCost(r.cost_usd);
  }
}

function requestRow(r, fresh) {
  return h(
    "tr",
    { class: [fresh && "row-new", r.status === "error" && "row-error"], dataset: { requestId: r.id } },
    COLUMNS.map((column) =>
      h("td", { class: [column.numeric && "num", `col-${column.key}`], dataset: { label: column.label } }, cell(column.key, r)),
    ),
  );
}

export class LiveView extends FilteredView {
  constructor(root, _arg, params) {
    super(root, params, { route: "live", pollMs: POLL_MS });
    this.cursor = null;
    this.count = 0;
    this.start();
  }

  reload() {
    this.restart();
  }

  refresh() {
    return this.poll();
  }

  render() {
    this.notice = h("div", { class: "notice-slot" });
    this.summary = h("p", { class: "result-summary", "aria-live": "polite" });
    this.body = h("tbody");
    this.empty = h("div");
    replaceChildren(
      this.root,
      h("div", { class: "view-header" }, h("h1", null, "Live"), this.live.element),
      h("p", { class: "muted lead" }, "Requests as the collector stores them, newest first."),
      this.filters.elements,
      this.notice,
      this.summary,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data-table live-table" },
          h("thead", null, h("tr", null, COLUMNS.map((c) => h("th", { scope: "col", class: c.numeric && "num" }, c.label)))),
          this.body,
        ),
      ),
      this.empty,
    );
  }

  /** Start over from the newest requests (the filters changed). */
  restart() {
    this.controller?.abort();
    this.cursor = null;
    this.count = 0;
    replaceChildren(this.body);
    this.poll();
  }

  async poll() {
    const controller = this.nextController();
    const params = filterApiParams(this.state);
    const first = this.cursor === null;
    try {
      for (let pages = 0; pages < 10; pages += 1) {
        if (this.cursor !== null) params.set("after", this.cursor);
        const page = await getJSON("v1/feed", params, { signal: controller.signal });
        if (controller !== this.controller) return;
        this.cursor = page.cursor;
        this.add(page.requests, !first);
        if (!page.more) break;
      }
    } catch (error) {
      if (isAbort(error)) return;
      if (first) replaceChildren(this.notice, errorNotice(error));
      else this.live.failed(error);
      return;
    }
    replaceChildren(this.notice);
    this.live.refreshed();
    this.renderSummary();
  }

  add(requests, fresh) {
    for (const r of requests) {
      this.body.insertBefore(requestRow(r, fresh), this.body.firstChild);
      this.count += 1;
    }
    while (this.body.children.length > MAX_ROWS) this.body.lastChild.remove();
  }

  renderSummary() {
    const shown = this.body.children.length;
    const more = this.count > shown ? ` (the latest ${formatInt(shown)} shown)` : "";
    this.summary.textContent = shown ? `${formatInt(this.count)} ${this.count === 1 ? "request" : "requests"}${more}` : "";
    replaceChildren(
      this.empty,
      shown
        ? null
        : emptyState(
            activeFilterCount(this.state) ? "No request matches these filters yet." : "No requests yet.",
            "New requests appear here as they arrive.",
          ),
    );
  }
}

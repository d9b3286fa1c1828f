// Sessions list: one row per session, filters, server-side sorting, pagination and live
// refresh. Every filter lives in the URL fragment, so a filtered list is a shareable link.
// The live refresh asks the feed (GET /v1/feed) whether requests were stored since it last
// looked, and reloads the list only then, or when FULL_RELOAD_MS passed (a score or a
// human's answer changes a session without a new request).

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice, liveIndicator, sortableHeader } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatAgo, formatCost, formatDuration, formatInt, formatTime, formatWhen, shortId } from "../format.js";
import { Poller } from "../poll.js";
import { replaceHash, sessionHref } from "../router.js";
import { statusBadge } from "../status.js";
import { SessionFilters, activeFilterCount, filterApiParams, readFilters, writeFilters } from "./session_filters.js";

const POLL_MS = 3000;
const FULL_RELOAD_MS = 15000;
const FEED_PAGE = "50"; // new requests looked at per poll; more than that reloads again next time
const PAGE_SIZES = [25, 50, 100, 200];
const MAX_LIMIT = 1000; // the API's largest page

const COLUMNS = [
  { key: "session_name", label: "Name", text: true },
  { key: "session_id", label: "Session ID", text: true },
  { key: "start_time", label: "Created" },
  { key: "last_start_time", label: "Last request" },
  { key: "duration_ms", label: "Duration", numeric: true },
  { key: "request_count", label: "Requests", numeric: true },
  { key: "input_tokens", label: "Prompt tok.", title: "Prompt tokens", numeric: true },
  { key: "output_tokens", label: "Compl. tok.", title: "Completion tokens", numeric: true },
  { key: "total_tokens", label: "Total tok.", title: "Total tokens", numeric: true },
  { key: "cost_usd", label: "Cost", numeric: true },
  { key: "error_count", label: "Errors", numeric: true },
  { key: "status", label: "Status", text: true },
];

function cellContent(key, session) {
  switch (key) {
    case "session_name":
      return h(
        "a",
        { href: sessionHref(session.session_id), class: ["session-name", !session.session_name && "unnamed"] },
        session.session_name || "(unnamed)",
      );
    case "session_id":
      return h("a", { href: sessionHref(session.session_id), class: "mono", title: session.session_id }, shortId(session.session_id, 12));
    case "start_time":
    case "last_start_time":
      return h(
        "time",
        { datetime: session[key], title: `${formatTime(session[key])} (${formatAgo(session[key])})` },
        formatWhen(session[key]),
      );
    case "duration_ms":
      return formatDuration(session.duration_ms);
    case "cost_usd":
      return formatCost(session.cost_usd);
    case "error_count":
      return session.error_count ? h("span", { class: "error-count" }, formatInt(session.error_count)) : "0";
    case "status":
      return session.waiting_since
        ? h(
            "span",
            { class: "waiting-status" },
            statusBadge(session.status),
            h(
              "time",
              { class: "waiting-since", datetime: session.waiting_since, title: formatAgo(session.waiting_since) },
              ` since ${formatWhen(session.waiting_since)}`,
            ),
          )
        : statusBadge(session.status);
    default:
      return formatInt(session[key]);
  }
}

function sessionRow(session) {
  const row = h(
    "tr",
    { dataset: { sessionId: session.session_id }, class: [session.status === "error" && "row-error", session.waiting_since && "row-waiting"] },
    COLUMNS.map((column) =>
      h(
        "td",
        { class: [column.numeric && "num", `col-${column.key}`], dataset: { label: column.title ?? column.label } },
        cellContent(column.key, session),
      ),
    ),
  );
  row.addEventListener("click", (event) => {
    if (event.target.closest("a, button") || window.getSelection()?.toString()) return;
    window.location.hash = sessionHref(session.session_id);
  });
  return row;
}

/** Read the view's state from URL parameters (defaults filled in). */
function readState(params) {
  const limit = Number.parseInt(params.get("limit") ?? "", 10);
  const offset = Number.parseInt(params.get("offset") ?? "", 10);
  return {
    ...readFilters(params),
    sort: params.get("sort") || "start_time",
    order: params.get("order") === "asc" ? "asc" : "desc",
    limit: limit >= 1 && limit <= MAX_LIMIT ? limit : 50,
    offset: Number.isFinite(offset) && offset > 0 ? offset : 0,
  };
}

/** The URL parameters for a state (defaults left out, so links stay short). */
function stateParams(state) {
  const params = writeFilters(state);
  if (state.sort !== "start_time") params.set("sort", state.sort);
  if (state.order !== "desc") params.set("order", state.order);
  if (state.limit !== 50) params.set("limit", String(state.limit));
  if (state.offset) params.set("offset", String(state.offset));
  return params;
}

function apiParams(state) {
  const params = filterApiParams(state);
  params.set("sort", state.sort);
  params.set("order", state.order);
  params.set("limit", String(state.limit));
  params.set("offset", String(state.offset));
  return params;
}

export class SessionsView {
  constructor(root, _arg, params) {
    this.root = root;
    this.state = readState(params);
    this.rows = new Map(); // session_id -> {row, signature}
    this.knownIds = null; // ids seen on the previous load, to mark new rows
    this.controller = null;
    this.feedCursor = null; // where the feed was last read (null: not yet)
    this.loadedAt = 0;
    this.poller = new Poller(() => this.refresh(), POLL_MS);
    this.live = liveIndicator(this.poller);
    this.filters = new SessionFilters(this.state, (changes) => this.setState(changes));
    this.render();
    this.load();
    this.loadNameSuggestions();
    this.poller.start();
  }

  destroy() {
    this.poller.stop();
    this.filters.destroy();
    this.controller?.abort();
    this.feedController?.abort();
    this.suggestionController?.abort();
  }

  /** A poll: reload the list when the feed has news, or after FULL_RELOAD_MS anyway. */
  async refresh() {
    const quiet = await this.feedIsQuiet();
    if (quiet && Date.now() - this.loadedAt < FULL_RELOAD_MS) {
      this.live.refreshed();
      return;
    }
    await this.load({ quiet: true });
  }

  /** Whether no request was stored since the last look (the first look, or a failed one,
   * cannot tell: then no). */
  async feedIsQuiet() {
    this.feedController?.abort();
    const controller = new AbortController();
    this.feedController = controller;
    const params = new URLSearchParams({ limit: FEED_PAGE });
    if (this.feedCursor) params.set("after", this.feedCursor);
    let page;
    try {
      page = await getJSON("v1/feed", params, { signal: controller.signal });
    } catch {
      return false; // the list's own load reports what is wrong
    }
    const first = this.feedCursor === null;
    this.feedCursor = page.cursor;
    return !first && page.requests.length === 0;
  }

  /** The URL changed under us (back/forward): adopt its state. */
  update(params) {
    this.state = readState(params);
    this.filters.sync(this.state);
    this.renderHeader();
    this.load();
  }

  /** Change the state (back to the first page unless the page is what changed) and reload. */
  setState(changes) {
    this.state = { ...this.state, ...changes };
    if (!("offset" in changes)) this.state.offset = 0;
    replaceHash(["sessions"], stateParams(this.state));
    this.filters.sync(this.state);
    this.renderHeader();
    this.load();
  }

  render() {
    this.notice = h("div", { class: "notice-slot" });
    this.summary = h("p", { class: "result-summary", "aria-live": "polite" });
    this.head = h("tr");
    this.body = h("tbody", null, h("tr", null, h("td", { colspan: COLUMNS.length, class: "placeholder" }, "Loading…")));
    this.pager = h("nav", { class: "pager", "aria-label": "Pages" });
    replaceChildren(
      this.root,
      h("div", { class: "view-header" }, h("h1", null, "Sessions"), this.live.element),
      this.filters.elements,
      this.notice,
      this.summary,
      h(
        "div",
        { class: "table-wrap" },
        h("table", { class: "data-table sessions-table" }, h("thead", null, this.head), this.body),
      ),
      this.pager,
    );
    this.renderHeader();
  }

  renderHeader() {
    replaceChildren(
      this.head,
      COLUMNS.map((column) =>
        sortableHeader(column, this.state.sort, this.state.order, (key) => {
          const order =
            key === this.state.sort
              ? this.state.order === "asc"
                ? "desc"
                : "asc"
              : COLUMNS.find((c) => c.key === key).text
                ? "asc"
                : "desc";
          this.setState({ sort: key, order });
        }),
      ),
    );
  }

  async load({ quiet = false } = {}) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const params = apiParams(this.state);
    let page;
    try {
      page = await getJSON("v1/sessions", params, { signal: controller.signal });
    } catch (error) {
      if (isAbort(error)) return;
      if (quiet) this.live.failed(error);
      else replaceChildren(this.notice, errorNotice(error));
      if (!quiet) {
        this.rows.clear();
        this.knownIds = null;
        replaceChildren(
          this.body,
          h("tr", null, h("td", { colspan: COLUMNS.length, class: "placeholder" }, "Sessions could not be loaded.")),
        );
      }
      return;
    }
    if (controller !== this.controller) return;
    replaceChildren(this.notice);
    this.loadedAt = Date.now();
    this.live.refreshed();
    this.renderRows(page.sessions, page.total, { markNew: quiet });
    this.renderPager(page.total, page.sessions.length);
    this.filters.addNames(page.sessions);
  }

  renderRows(sessions, total, { markNew = false } = {}) {
    const previous = this.knownIds;
    this.knownIds = new Set(sessions.map((s) => s.session_id));
    if (sessions.length === 0) {
      this.rows.clear();
      const filtered = activeFilterCount(this.state) > 0;
      replaceChildren(
        this.body,
        h(
          "tr",
          null,
          h(
            "td",
            { colspan: COLUMNS.length },
            filtered
              ? emptyState("No session matches these filters.", "Change or clear the filters above.")
              : emptyState(
                  "No sessions yet.",
                  "Traced runs show up here within seconds: run your agent with " +
                    `AGENTTRACE_ENDPOINT=${new URL(".", document.baseURI).href.replace(/\/$/, "")}`,
                ),
          ),
        ),
      );
    } else {
      if (this.rows.size === 0) replaceChildren(this.body);
      const wanted = [];
      const next = new Map();
      for (const session of sessions) {
        const signature = JSON.stringify(session);
        let entry = this.rows.get(session.session_id);
        if (!entry || entry.signature !== signature) {
          entry = { row: sessionRow(session), signature };
          if (markNew && previous && !previous.has(session.session_id)) entry.row.classList.add("row-new");
        }
        next.set(session.session_id, entry);
        wanted.push(entry.row);
      }
      for (const [id, entry] of this.rows) if (!next.has(id)) entry.row.remove();
      const keep = new Set(wanted);
      for (const child of [...this.body.children]) if (!keep.has(child)) child.remove();
      wanted.forEach((row, index) => {
        if (this.body.children[index] !== row) this.body.insertBefore(row, this.body.children[index] ?? null);
      });
      this.rows = next;
    }
    const first = this.state.offset + 1;
    const last = this.state.offset + sessions.length;
    if (total === 1 && sessions.length === 1) this.summary.textContent = "1 session";
    else if (!sessions.length) this.summary.textContent = `${formatInt(total)} sessions`;
    else this.summary.textContent = `${formatInt(first)}–${formatInt(last)} of ${formatInt(total)} sessions`;
  }

  renderPager(total, shown) {
    const { offset, limit } = this.state;
    const sizes = h(
      "select",
      {
        id: "page-size",
        "aria-label": "Sessions per page",
        onchange: (e) => this.setState({ limit: Number(e.target.value) }),
      },
      [...new Set([...PAGE_SIZES, limit])]
        .sort((a, b) => a - b)
        .map((size) => h("option", { value: String(size), selected: size === limit }, `${size} per page`)),
    );
    replaceChildren(
      this.pager,
      h(
        "button",
        {
          type: "button",
          class: "button",
          disabled: offset === 0,
          onclick: () => this.setState({ offset: Math.max(0, offset - limit) }),
        },
        "‹ Previous",
      ),
      h("span", { class: "pager-page" }, `Page ${Math.floor(offset / limit) + 1} of ${Math.max(1, Math.ceil(total / limit))}`),
      h(
        "button",
        {
          type: "button",
          class: "button",
          disabled: offset + shown >= total,
          onclick: () => this.setState({ offset: offset + limit }),
        },
        "Next ›",
      ),
      sizes,
    );
  }

  async loadNameSuggestions() {
    this.suggestionController = new AbortController();
    try {
      const page = await getJSON(
        "v1/sessions",
        { sort: "last_start_time", order: "desc", limit: "200" },
        { signal: this.suggestionController.signal },
      );
      this.filters.addNames(page.sessions);
    } catch {
      // Suggestions are a convenience; the list itself reports errors.
    }
  }
}

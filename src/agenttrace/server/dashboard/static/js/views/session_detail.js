// Session detail: summary, trace (the tree with each node's bar on a shared time axis) and
// per-path figures of one session, and the request drawer. The open request is in the URL (#/sessions/<id>?request=<request id>).
// The collector answers the session's requests a page at a time (its figures and tree
// always count them all): the first page comes with the session, "Load more" follows the
// page's next_cursor, and a live refresh keeps the pages already loaded up to date.

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice, stat } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatAgo, formatCost, formatDuration, formatInt, formatPercent, formatTime, toMicros, toMillis } from "../format.js";
import { Poller } from "../poll.js";
import { buildHash, replaceHash } from "../router.js";
import { statusBadge } from "../status.js";
import { FeedbackControl } from "./feedback.js";
import { RequestPanel } from "./request_panel.js";
import { renderTrace } from "./trace.js";

const POLL_MS = 3000;
const PAGE = 200; // requests per page (the collector answers at most 1000)
const LIVE_FOR_MS = 10 * 60e3; // keep refreshing while the last request is this recent

function summary(session) {
  return h(
    "div",
    { class: "stats" },
    stat("Created", formatTime(session.start_time), { title: formatAgo(session.start_time) }),
    stat("Last request", formatTime(session.last_start_time), { title: formatAgo(session.last_start_time) }),
    stat("Duration", formatDuration(session.duration_ms)),
    stat("Requests", formatInt(session.request_count)),
    stat("Tokens", formatInt(session.total_tokens), {
      title: `${formatInt(session.input_tokens)} prompt + ${formatInt(session.output_tokens)} completion`,
    }),
    stat("Prompt / completion", `${formatInt(session.input_tokens)} / ${formatInt(session.output_tokens)}`),
    stat("Cost", formatCost(session.cost_usd)),
    stat("Errors", formatInt(session.error_count)),
    stat("Latency p50 / p95", `${formatDuration(session.p50_latency_ms)} / ${formatDuration(session.p95_latency_ms)}`),
    session.user_ids?.length ? stat("Users", session.user_ids.join(", ")) : null,
  );
}

function propertyList(properties) {
  const entries = Object.entries(properties ?? {});
  if (!entries.length) return null;
  return h(
    "ul",
    { class: "chips", "aria-label": "Session properties" },
    entries.map(([key, value]) =>
      h("li", { class: "chip chip-static" }, h("span", { class: "chip-key" }, key), " = ", h("span", { class: "chip-value" }, value)),
    ),
  );
}

function pathsTable(paths) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data-table compact static-head paths-in-session" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["Path", "Requests", "Errors", "Duration", "p50", "p95", "Tokens", "Cost"].map((label, index) =>
            h("th", { scope: "col", class: index ? "num" : null }, label),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        paths.map((row) =>
          h(
            "tr",
            null,
            h("td", { class: "mono", dataset: { label: "Path" } }, row.path),
            h("td", { class: "num", dataset: { label: "Requests" } }, formatInt(row.request_count)),
            h(
              "td",
              { class: ["num", row.error_count && "error-count"], dataset: { label: "Errors" } },
              row.error_count ? `${formatInt(row.error_count)} (${formatPercent(row.error_count, row.request_count)})` : "0",
            ),
            h("td", { class: "num", dataset: { label: "Duration" } }, formatDuration(row.duration_ms)),
            h("td", { class: "num", dataset: { label: "p50" } }, formatDuration(row.p50_latency_ms)),
            h("td", { class: "num", dataset: { label: "p95" } }, formatDuration(row.p95_latency_ms)),
            h("td", { class: "num", dataset: { label: "Tokens" } }, formatInt(row.total_tokens)),
            h("td", { class: "num", dataset: { label: "Cost" } }, formatCost(row.cost_usd)),
          ),
        ),
      ),
    ),
  );
}

export class SessionDetailView {
  constructor(root, sessionId, params) {
    this.root = root;
    this.sessionId = sessionId;
    this.selectedId = params.get("request") || null;
    this.collapsed = new Set();
    this.detail = null;
    this.requests = []; // the requests loaded so far, in time order
    this.nextCursor = null; // where the requests not loaded yet start (null: none left)
    this.extended = false; // whether pages after the first were loaded
    this.signature = null;
    this.controller = null;
    this.panel = new RequestPanel(() => this.select(null));
    this.feedback = new FeedbackControl(sessionId);
    this.poller = new Poller(() => this.load({ quiet: true }), POLL_MS);
    replaceChildren(root, h("p", { class: "placeholder" }, "Loading session…"));
    document.body.appendChild(this.panel.element);
    this.load();
  }

  destroy() {
    this.poller.stop();
    this.controller?.abort();
    this.panel.destroy();
    document.body.classList.remove("drawer-open");
  }

  update(params) {
    const requestId = params.get("request") || null;
    if (requestId !== this.selectedId) this.select(requestId, { updateUrl: false });
  }

  /** Open (or with null, close) a request, mark it in the trace. */
  select(requestId, { updateUrl = true } = {}) {
    this.selectedId = requestId;
    if (updateUrl) replaceHash(["sessions", this.sessionId], requestId ? { request: requestId } : null);
    for (const el of this.root.querySelectorAll("[data-request-id]")) {
      const on = el.dataset.requestId === requestId;
      el.classList.toggle("is-selected", on);
      if (on) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
    }
    if (requestId) {
      const summaryRow = this.requests.find((r) => r.id === requestId);
      this.panel.open(summaryRow, requestId);
    } else {
      this.panel.close();
    }
  }

  async load({ quiet = false } = {}) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    let detail;
    let tail = null;
    try {
      detail = await getJSON(`v1/sessions/${encodeURIComponent(this.sessionId)}`, { limit: PAGE }, { signal: controller.signal });
      const last = this.requests.at(-1);
      if (this.extended && this.nextCursor === null && last) {
        // Every page was loaded: fetch what started since the last request loaded.
        const params = { session_id: this.sessionId, order: "asc", since: last.start_time, limit: PAGE };
        tail = await getJSON("v1/requests", params, { signal: controller.signal });
      }
    } catch (error) {
      if (isAbort(error) || quiet) return;
      replaceChildren(
        this.root,
        h("p", null, h("a", { href: "#/sessions", class: "back" }, "← Sessions")),
        error.status === 404
          ? emptyState("This session does not exist.", `No session has the id ${this.sessionId}.`)
          : errorNotice(error),
      );
      return;
    }
    if (controller !== this.controller) return;
    const humans = detail.requests.filter((r) => r.kind === "human");
    if (humans.length) {
      try {
        const params = { session_id: this.sessionId, kind: "human", include_bodies: true, order: "asc", limit: PAGE };
        const found = await getJSON("v1/requests", params, { signal: controller.signal });
        this.questions = new Map(
          found.requests.map((r) => [r.id, { question: r.request_body?.question, answer: r.response_body?.answer }]),
        );
      } catch (error) {
        if (isAbort(error)) return;
      }
      if (controller !== this.controller) return;
    }
    if (this.extended) {
      this.merge(detail.requests);
      if (tail) {
        this.merge(tail.requests);
        this.nextCursor = tail.next_cursor;
      }
    } else {
      this.requests = detail.requests;
      this.nextCursor = detail.next_cursor;
    }
    const answered = [...(this.questions?.values() ?? [])].map((q) => q.answer !== undefined);
    const signature = JSON.stringify([detail.session, this.requests.length, this.requests.at(-1), this.nextCursor, answered]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.detail = detail;
      this.render();
    }
    const latest = toMillis(detail.session.last_start_time) ?? 0;
    const running = this.requests.some((r) => !r.end_time);
    if (running || Date.now() - latest < LIVE_FOR_MS) this.poller.start();
    else this.poller.stop();
    if (!quiet && this.selectedId) this.select(this.selectedId, { updateUrl: false });
  }

  /** Add or update requests, keeping them in time order. */
  merge(rows) {
    const byId = new Map(this.requests.map((r) => [r.id, r]));
    for (const row of rows) byId.set(row.id, row);
    this.requests = [...byId.values()].sort(
      (a, b) => (toMicros(a.start_time) ?? 0) - (toMicros(b.start_time) ?? 0) || (a.id < b.id ? -1 : 1),
    );
  }

  /** Fetch the next page of requests (after nextCursor) and show it. */
  async loadMore(button) {
    if (this.nextCursor === null || button.disabled) return;
    button.disabled = true;
    button.textContent = "Loading…";
    const params = { session_id: this.sessionId, cursor: this.nextCursor, limit: PAGE };
    let page;
    try {
      page = await getJSON("v1/requests", params);
    } catch (error) {
      button.disabled = false;
      button.textContent = "Load more";
      button.after(errorNotice(error));
      return;
    }
    this.extended = true;
    this.merge(page.requests);
    this.nextCursor = page.next_cursor;
    this.signature = null;
    this.render();
    if (this.selectedId) this.select(this.selectedId, { updateUrl: false });
  }

  moreRequests() {
    const total = this.detail.session.request_count;
    if (this.nextCursor === null && this.requests.length >= total) return null;
    const button = h(
      "button",
      { type: "button", class: "button button-small load-more", onclick: () => this.loadMore(button) },
      "Load more",
    );
    return h(
      "p",
      { class: "more-requests" },
      h("span", { class: "muted" }, `Showing ${formatInt(this.requests.length)} of ${formatInt(total)} requests. `),
      this.nextCursor === null ? null : button,
    );
  }

  render() {
    const { session, tree, paths } = this.detail;
    const countsByPath = new Map(paths.map((row) => [row.path, row.request_count]));
    const options = {
      selectedId: this.selectedId,
      collapsed: this.collapsed,
      onSelect: (id) => this.select(id),
      nowUs: Date.now() * 1000,
      questions: this.questions,
    };
    const scrollY = window.scrollY;
    const name = session.session_name;
    replaceChildren(
      this.root,
      h("p", { class: "crumbs" }, h("a", { href: "#/sessions", class: "back" }, "← Sessions")),
      h(
        "div",
        { class: "view-header session-header" },
        h("h1", { class: !name && "unnamed" }, name || "(unnamed session)"),
        statusBadge(session.status),
        session.waiting_since
          ? h(
              "span",
              { class: "waiting-since", title: formatAgo(session.waiting_since) },
              `for a human since ${formatTime(session.waiting_since)}`,
            )
          : null,
        this.feedback.element,
      ),
      h(
        "p",
        { class: "session-meta" },
        h("span", { class: "mono session-id" }, session.session_id),
        name
          ? h("a", { href: buildHash(["paths"], { session_name: name }), class: "paths-link" }, `Paths of every “${name}” session →`)
          : null,
      ),
      propertyList(session.properties),
      summary(session),
      h(
        "section",
        { class: "panel trace-panel", "aria-labelledby": "trace-title" },
        h("h2", { id: "trace-title" }, "Tree and timeline"),
        renderTrace(tree, this.requests, countsByPath, options),
      ),
      this.moreRequests(),
      h("section", { class: "panel", "aria-labelledby": "paths-title" }, h("h2", { id: "paths-title" }, "Paths in this session"), pathsTable(paths)),
    );
    window.scrollTo({ top: scrollY });
    document.title = `${name || session.session_id} · agenttrace`;
  }
}

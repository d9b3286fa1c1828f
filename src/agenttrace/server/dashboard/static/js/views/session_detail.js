// Session detail: summary, tree, timeline and per-path figures of one session, and the
// request drawer. The open request is in the URL (#/sessions/<id>?request=<request id>).

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice, stat } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatAgo, formatCost, formatDuration, formatInt, formatPercent, formatTime, toMillis } from "../format.js";
import { Poller } from "../poll.js";
import { buildHash, replaceHash } from "../router.js";
import { statusBadge } from "../status.js";
import { RequestPanel } from "./request_panel.js";
import { renderTree } from "./tree.js";
import { renderWaterfall } from "./waterfall.js";

const POLL_MS = 3000;
const LIVE_FOR_MS = 10 * 60e3; // keep refreshing while the last request is this recent

function summary(session) {
  return h(
    "div",
    { class: "stats" },
    stat("Created", formatTime(session.created_at), { title: formatAgo(session.created_at) }),
    stat("Last request", formatTime(session.latest_request_created_at), { title: formatAgo(session.latest_request_created_at) }),
    stat("Duration", formatDuration(session.duration_ms)),
    stat("Requests", formatInt(session.total_requests)),
    stat("Tokens", formatInt(session.total_tokens), {
      title: `${formatInt(session.prompt_tokens)} prompt + ${formatInt(session.completion_tokens)} completion`,
    }),
    stat("Prompt / completion", `${formatInt(session.prompt_tokens)} / ${formatInt(session.completion_tokens)}`),
    stat("Cost", formatCost(session.total_cost)),
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
            h("td", { class: "num", dataset: { label: "Cost" } }, formatCost(row.total_cost)),
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
    this.signature = null;
    this.controller = null;
    this.panel = new RequestPanel(() => this.select(null));
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

  /** Open (or with null, close) a request, mark it in the tree and timeline. */
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
      const summaryRow = this.detail?.requests.find((r) => r.request_id === requestId);
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
    try {
      detail = await getJSON(`v1/sessions/${encodeURIComponent(this.sessionId)}`, null, { signal: controller.signal });
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
    const signature = JSON.stringify([detail.session, detail.requests.length, detail.requests.at(-1)]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.detail = detail;
      this.render();
    }
    const latest = toMillis(detail.session.latest_request_created_at) ?? 0;
    const running = detail.requests.some((r) => !r.response_created_at);
    if (running || Date.now() - latest < LIVE_FOR_MS) this.poller.start();
    else this.poller.stop();
    if (!quiet && this.selectedId) this.select(this.selectedId, { updateUrl: false });
  }

  render() {
    const { session, tree, requests, paths } = this.detail;
    const requestsById = new Map(requests.map((r) => [r.request_id, r]));
    const options = {
      selectedId: this.selectedId,
      collapsed: this.collapsed,
      onSelect: (id) => this.select(id),
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
        "div",
        { class: "detail-grid" },
        h("section", { class: "panel tree-panel", "aria-labelledby": "tree-title" }, h("h2", { id: "tree-title" }, "Tree"), renderTree(tree, requestsById, options)),
        h(
          "section",
          { class: "panel timeline-panel", "aria-labelledby": "timeline-title" },
          h("h2", { id: "timeline-title" }, "Timeline"),
          renderWaterfall(requests, { ...options, now: Date.now() }),
        ),
      ),
      h("section", { class: "panel", "aria-labelledby": "paths-title" }, h("h2", { id: "paths-title" }, "Paths in this session"), pathsTable(paths)),
    );
    window.scrollTo({ top: scrollY });
    document.title = `${name || session.session_id} · agenttrace`;
  }
}

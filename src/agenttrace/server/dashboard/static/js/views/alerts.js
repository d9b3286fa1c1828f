// Alerts: the rules and budgets with their state (firing ones first and marked), and the
// history of firing and resolved events with each webhook's delivery. Refreshed every few
// seconds while the page is open.

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatAgo, formatTime } from "../format.js";
import { Poller } from "../poll.js";

const POLL_MS = 5000;

function number(value) {
  if (value === null || value === undefined) return "–";
  return Number.isInteger(value) ? String(value) : value.toPrecision(3).replace(/\.?0+$/, "");
}

const OPS = { gt: ">", gte: "≥", lt: "<", lte: "≤" };

function describe(rule) {
  const over = rule.period ? `per ${rule.period}` : `over ${rule.window_s} s`;
  const where = Object.entries(rule.filter ?? {})
    .filter(([, value]) => value)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
  return `${rule.metric} ${OPS[rule.op] ?? rule.op} ${number(rule.threshold)} ${over}${where ? ` · ${where}` : ""}`;
}

/** firing (red, ●), ok or resolved (green, ✓): an icon and a word, never the colour alone. */
function stateBadge(state) {
  const firing = state === "firing";
  return h(
    "span",
    { class: ["status", firing ? "status-error alert-firing" : "status-ok"] },
    h("span", { class: "status-icon", "aria-hidden": "true" }, firing ? "●" : "✓"),
    h("span", { class: "status-label" }, state),
  );
}

function table(headers, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data-table compact static-head" },
      h("thead", null, h("tr", null, headers.map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", null, rows),
    ),
  );
}

function rulesTable(rules) {
  const ordered = [...rules].sort((a, b) => (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1));
  return table(
    ["State", "Name", "Rule", "Last value", "Since"],
    ordered.map((rule) =>
      h(
        "tr",
        { class: rule.state === "firing" ? "is-firing" : null, dataset: { ruleId: rule.rule_id } },
        h("td", { dataset: { label: "State" } }, stateBadge(rule.state)),
        h("td", { dataset: { label: "Name" } }, rule.name),
        h("td", { class: "mono", dataset: { label: "Rule" } }, describe(rule)),
        h("td", { class: "num", dataset: { label: "Last value" } }, number(rule.value)),
        h("td", { dataset: { label: "Since" }, title: formatTime(rule.changed_at) }, rule.changed_at ? formatAgo(rule.changed_at) : "–"),
      ),
    ),
  );
}

function historyTable(events, deliveries) {
  const byEvent = new Map(deliveries.map((d) => [d.event_id, d]));
  return table(
    ["When", "Rule", "Event", "Value", "Webhook"],
    events.map((event) => {
      const delivery = byEvent.get(event.event_id);
      const webhook = delivery ? `${delivery.status} (${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"})` : "–";
      return h(
        "tr",
        null,
        h("td", { dataset: { label: "When" }, title: formatAgo(event.at) }, formatTime(event.at)),
        h("td", { dataset: { label: "Rule" } }, event.rule_name ?? event.rule_id),
        h("td", { dataset: { label: "Event" } }, stateBadge(event.state)),
        h("td", { class: "num", dataset: { label: "Value" } }, number(event.value)),
        h("td", { dataset: { label: "Webhook" }, title: delivery?.last_error ?? "" }, webhook),
      );
    }),
  );
}

export class AlertsView {
  constructor(root) {
    this.root = root;
    this.controller = null;
    this.signature = null;
    this.poller = new Poller(() => this.load({ quiet: true }), POLL_MS);
    replaceChildren(root, h("p", { class: "placeholder" }, "Loading alerts…"));
    this.load();
    this.poller.start();
  }

  destroy() {
    this.poller.stop();
    this.controller?.abort();
  }

  update() {}

  async load({ quiet = false } = {}) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    let rules;
    let events;
    let deliveries;
    try {
      [rules, events, deliveries] = await Promise.all([
        getJSON("v1/alerts/rules", null, { signal }),
        getJSON("v1/alerts/events", { limit: 100 }, { signal }),
        getJSON("v1/alerts/deliveries", { limit: 100 }, { signal }),
      ]);
    } catch (error) {
      if (isAbort(error) || quiet) return;
      replaceChildren(this.root, errorNotice(error));
      return;
    }
    const signature = JSON.stringify([rules, events, deliveries]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.render(rules.rules, events.events, deliveries.deliveries);
  }

  render(rules, events, deliveries) {
    const firing = rules.filter((rule) => rule.state === "firing").length;
    replaceChildren(
      this.root,
      h(
        "div",
        { class: "alerts-page" },
        h("div", { class: "view-header" }, h("h1", null, "Alerts"), firing ? h("span", { class: "status status-error alert-count" }, `${firing} firing`) : null),
      h(
        "section",
        { class: "panel", "aria-labelledby": "rules-title" },
        h("h2", { id: "rules-title" }, "Rules and budgets"),
        rules.length
          ? rulesTable(rules)
          : emptyState("No alert rules yet.", "Add one with `agenttrace alerts add` or POST /v1/alerts/rules."),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "history-title" },
        h("h2", { id: "history-title" }, "History"),
        events.length ? historyTable(events, deliveries) : emptyState("Nothing has fired yet."),
      ),
      ),
    );
  }
}

// Alerts: the rules and budgets with their state (firing ones first and marked), and the
// history of firing and resolved events with each webhook's delivery, and a form to add
// rules (views/alert_form.js); each rule row has a Delete button that asks in place first.
// Refreshed every few seconds while the page is open; a refresh keeps what is being typed
// and where the keyboard focus is.

import { deleteJSON, getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatAgo, formatTime } from "../format.js";
import { Poller } from "../poll.js";
import { AlertForm } from "./alert_form.js";

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

function deleteCell(rule, view) {
  if (view.confirming !== rule.rule_id) {
    return h(
      "td",
      { class: "actions", dataset: { label: "Actions" } },
      h("button", { type: "button", class: "button button-small", "aria-label": `Delete rule ${rule.name}`, dataset: { focusKey: `ask:${rule.rule_id}` }, onclick: () => view.askDelete(rule) }, "Delete…"),
    );
  }
  return h(
    "td",
    { class: "actions", dataset: { label: "Actions" } },
    h(
      "span",
      { class: "confirm-delete", role: "group", "aria-label": `Delete rule ${rule.name}?`, onkeydown: (event) => event.key === "Escape" && view.askDelete(null) },
      h("span", null, "Delete?"),
      h("button", { type: "button", class: "button button-small button-danger", "aria-label": `Yes, delete rule ${rule.name}`, dataset: { focusKey: `yes:${rule.rule_id}` }, onclick: () => view.remove(rule) }, "Delete"),
      h("button", { type: "button", class: "button button-small", "aria-label": `Keep rule ${rule.name}`, onclick: () => view.askDelete(null) }, "Keep"),
    ),
  );
}

function rulesTable(rules, view) {
  const ordered = [...rules].sort((a, b) => (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1));
  return table(
    ["State", "Name", "Rule", "Last value", "Since", "Actions"],
    ordered.map((rule) =>
      h(
        "tr",
        { class: rule.state === "firing" ? "is-firing" : null, dataset: { ruleId: rule.rule_id } },
        h("td", { dataset: { label: "State" } }, stateBadge(rule.state)),
        h("td", { dataset: { label: "Name" } }, rule.name),
        h("td", { class: "mono", dataset: { label: "Rule" } }, describe(rule)),
        h("td", { class: "num", dataset: { label: "Last value" } }, number(rule.value)),
        h("td", { dataset: { label: "Since" }, title: formatTime(rule.changed_at) }, rule.changed_at ? formatAgo(rule.changed_at) : "–"),
        deleteCell(rule, view),
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

/** Replace el's children, keeping the keyboard focus on the control with the same key. */
function replaceKeepingFocus(el, ...children) {
  const active = document.activeElement;
  const key = el.contains(active) ? active?.dataset?.focusKey : undefined;
  replaceChildren(el, ...children);
  if (key) el.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
}

export class AlertsView {
  constructor(root) {
    this.root = root;
    this.controller = null;
    this.signature = null;
    this.rules = null;
    this.confirming = null;
    this.poller = new Poller(() => this.load({ quiet: true }), POLL_MS);
    this.count = h("span", { class: "status status-error alert-count", hidden: true });
    this.problem = h("div");
    this.rulesTitle = h("h2", { id: "rules-title", tabindex: "-1" }, "Rules and budgets");
    this.rulesMessage = h("div", { class: "rules-message", role: "status" });
    this.rulesBody = h("div", null, h("p", { class: "placeholder" }, "Loading alerts…"));
    this.historyBody = h("div");
    this.form = new AlertForm({ onCreated: () => this.load({ force: true }) });
    replaceChildren(
      root,
      h(
        "div",
        { class: "alerts-page" },
        h("div", { class: "view-header" }, h("h1", null, "Alerts"), this.count),
        this.problem,
        h("section", { class: "panel", "aria-labelledby": "rules-title" }, this.rulesTitle, this.rulesMessage, this.rulesBody),
        this.form.element,
        h("section", { class: "panel", "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "History"), this.historyBody),
      ),
    );
    this.load();
    this.poller.start();
  }

  destroy() {
    this.poller.stop();
    this.controller?.abort();
  }

  update() {}

  async load({ quiet = false, force = false } = {}) {
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
      replaceChildren(this.problem, errorNotice(error));
      return;
    }
    replaceChildren(this.problem);
    const signature = JSON.stringify([rules, events, deliveries]);
    if (signature === this.signature && !force) return;
    this.signature = signature;
    this.render(rules.rules, events.events, deliveries.deliveries);
  }

  render(rules, events, deliveries) {
    this.rules = rules;
    if (this.confirming && !rules.some((rule) => rule.rule_id === this.confirming)) this.confirming = null;
    const firing = rules.filter((rule) => rule.state === "firing").length;
    this.count.hidden = !firing;
    replaceChildren(this.count, `${firing} firing`);
    this.renderRules();
    replaceChildren(this.historyBody, events.length ? historyTable(events, deliveries) : emptyState("Nothing has fired yet."));
  }

  renderRules() {
    replaceKeepingFocus(
      this.rulesBody,
      this.rules.length
        ? rulesTable(this.rules, this)
        : emptyState("No alert rules yet.", "Add one with the form below, `agenttrace alerts add` or POST /v1/alerts/rules."),
    );
  }

  /** Ask to confirm the deletion of rule (null: cancel), in its row. */
  askDelete(rule) {
    const previous = this.confirming;
    this.confirming = rule?.rule_id ?? null;
    replaceChildren(this.rulesMessage);
    this.renderRules();
    const key = rule ? `yes:${rule.rule_id}` : `ask:${previous}`;
    this.rulesBody.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
  }

  async remove(rule) {
    for (const button of this.rulesBody.querySelectorAll(".confirm-delete button")) button.disabled = true;
    try {
      await deleteJSON(`v1/alerts/rules/${encodeURIComponent(rule.rule_id)}`);
      replaceChildren(this.rulesMessage, h("p", { class: "notice notice-ok" }, h("span", { class: "notice-icon", "aria-hidden": "true" }, "✓"), `Deleted “${rule.name}”; its history stays.`));
    } catch (error) {
      replaceChildren(this.rulesMessage, errorNotice(error));
    }
    this.confirming = null;
    await this.load({ force: true });
    this.rulesTitle.focus();
  }
}

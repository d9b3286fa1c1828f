// The form that creates an alert rule (a metric over a sliding window) or a budget (cost
// per UTC day or month) through POST /v1/alerts/rules. The API's rules
// (agenttrace.server.store.alert_models.AlertRuleIn) are checked here first, so a mistake
// gets a sentence beside its field; whatever the collector still refuses is shown as it
// says it.

import { postJSON } from "../api.js";
import { errorNotice } from "../components.js";
import { h, replaceChildren } from "../dom.js";

export const METRICS = [
  { value: "error_rate", label: "Error rate", unit: "A fraction from 0 to 1: 0.05 is 5%." },
  { value: "errors", label: "Errors", unit: "Failed requests in the window." },
  { value: "cost", label: "Cost", unit: "US dollars spent in the window." },
  { value: "p95_latency_ms", label: "p95 latency", unit: "Milliseconds." },
  { value: "requests", label: "Requests", unit: "Requests in the window." },
];

const OPS = [
  ["gt", "> above"],
  ["gte", "≥ at or above"],
  ["lt", "< below"],
  ["lte", "≤ at or below"],
];

const WINDOW_UNITS = [
  ["s", "seconds", 1],
  ["m", "minutes", 60],
  ["h", "hours", 3600],
  ["d", "days", 86400],
];

const MIN_WINDOW_S = 10;
const MAX_WINDOW_S = 31 * 86400;
const MAX_TEXT = 1000;
const WEBHOOK = /^https?:\/\/[A-Za-z0-9._~-]+(:[0-9]{1,5})?([/?#]|$)/;

const FILTERS = [
  { name: "path", label: "Path", placeholder: "/tools/search" },
  { name: "model", label: "Model", placeholder: "gpt-4o" },
  { name: "session_name", label: "Session name", placeholder: "researcher" },
  { name: "user_id", label: "User id", placeholder: "alice" },
];

function thresholdError(text, metric) {
  if (!text) return "Give a threshold: the value the rule compares with.";
  const value = Number(text);
  if (!Number.isFinite(value)) return `“${text}” is not a number.`;
  if (value < 0) return "A threshold is 0 or more.";
  if (metric === "error_rate" && value > 1) {
    return `An error rate is a fraction from 0 to 1: for ${value}% write ${value / 100}.`;
  }
  return null;
}

function windowSeconds(text, unit, errors) {
  const count = Number(text);
  const seconds = count * (WINDOW_UNITS.find(([key]) => key === unit)?.[2] ?? 1);
  if (!text) errors.window = "Give the window's length.";
  else if (!Number.isInteger(count) || count <= 0) errors.window = "A window is a whole number greater than 0.";
  else if (seconds < MIN_WINDOW_S) errors.window = `A window is at least ${MIN_WINDOW_S} seconds.`;
  else if (seconds > MAX_WINDOW_S) errors.window = "A window is at most 31 days; for a month's cost, make a budget.";
  else return seconds;
  return null;
}

function filterFrom(values, errors) {
  const filter = {};
  for (const { name, label } of FILTERS) {
    const value = values[name].trim();
    if (!value) continue;
    if (value.length > MAX_TEXT) errors[name] = `${label} has at most ${MAX_TEXT} characters.`;
    else if (name === "path" && !value.startsWith("/")) errors[name] = "A path starts with /, like /tools/search.";
    else filter[name] = value;
  }
  const key = values.property_key.trim();
  const value = values.property_value.trim();
  if (key || value) {
    if (!key) errors.property_key = "Give the property's name as well as its value.";
    else if (key.includes("=")) errors.property_key = "A property name cannot contain “=”.";
    else if (!value) errors.property_value = `Give the value of ${key} to match.`;
    else if (key.length + value.length >= 2000) errors.property_value = "A property and its value have at most 2000 characters.";
    else filter.property = `${key}=${value}`;
  }
  return filter;
}

/**
 * The body for POST /v1/alerts/rules from the form's values (strings), and the problems by
 * field name ({} when there are none).
 */
export function ruleFromValues(values) {
  const errors = {};
  const name = values.name.trim();
  if (!name) errors.name = "Give the rule a name.";
  else if (name.length > 200) errors.name = `A name has at most 200 characters; this one has ${name.length}.`;
  const budget = values.kind === "budget";
  const metric = budget ? "cost" : values.metric;
  const threshold = values.threshold.trim();
  const problem = thresholdError(threshold, metric);
  if (problem) errors.threshold = problem;
  const body = { name, metric, op: values.op, threshold: Number(threshold) };
  if (budget) body.period = values.period;
  else body.window_s = windowSeconds(values.window.trim(), values.window_unit, errors);
  body.filter = filterFrom(values, errors);
  const webhook = values.webhook_url.trim();
  if (webhook.length > 2000) errors.webhook_url = "A webhook URL has at most 2000 characters.";
  else if (webhook && !WEBHOOK.test(webhook)) {
    errors.webhook_url = "A webhook URL starts with http:// or https:// and names a host.";
  } else if (webhook) body.webhook_url = webhook;
  return { body, errors };
}

function select(id, options, value) {
  return h(
    "select",
    { id, name: id.replace(/^rule-/, "") },
    options.map(([key, label]) => h("option", { value: key, selected: key === value }, label)),
  );
}

/** A form panel; onCreated(rule) runs after the collector stored a rule. */
export class AlertForm {
  constructor({ onCreated }) {
    this.onCreated = onCreated;
    this.inputs = {};
    this.fields = {};
    this.errorSlots = {};
    this.hints = {};
    this.message = h("div", { class: "form-message" });
    this.submit = h("button", { type: "submit", class: "button button-primary" }, "Create rule");
    this.form = h(
      "form",
      { class: "alert-form", novalidate: true, "aria-labelledby": "new-rule-title", onsubmit: (event) => this.create(event) },
      this.kindChoice(),
      h(
        "div",
        { class: "form-grid" },
        this.field("name", "Name", h("input", { type: "text", maxlength: 200, autocomplete: "off", placeholder: "search errors" })),
        this.field("metric", "Metric", select("rule-metric", METRICS.map((m) => [m.value, m.label]), "error_rate")),
        this.field("period", "Budget period", select("rule-period", [["day", "Per UTC day"], ["month", "Per UTC month"]], "day")),
        this.field("op", "Fires when the value is", select("rule-op", OPS, "gt")),
        this.field("threshold", "Threshold", h("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "0.05" })),
        this.windowField(),
      ),
      h(
        "fieldset",
        { class: "form-group" },
        h("legend", null, "For requests matching"),
        h("p", { class: "muted form-note", id: "rule-filter-note" }, "All optional; every one given must hold. Leave them empty for the whole project."),
        h(
          "div",
          { class: "form-grid" },
          FILTERS.map(({ name, label, placeholder }) =>
            this.field(name, label, h("input", { type: "text", autocomplete: "off", placeholder, "aria-describedby": "rule-filter-note" })),
          ),
          this.propertyField(),
        ),
      ),
      h(
        "div",
        { class: "form-grid" },
        this.field(
          "webhook_url",
          "Webhook URL (optional)",
          h("input", { type: "url", autocomplete: "off" }),
          "Firing and resolved events are POSTed here, signed with a secret shown once.",
          true,
        ),
      ),
      h("div", { class: "form-actions" }, this.submit),
      this.message,
    );
    this.element = h(
      "section",
      { class: "panel alert-form-panel", "aria-labelledby": "new-rule-title" },
      h("h2", { id: "new-rule-title" }, "New rule or budget"),
      this.form,
    );
    this.inputs.metric.addEventListener("change", () => this.sync());
    this.sync();
  }

  kindChoice() {
    const radio = (value, label, hint) =>
      h(
        "label",
        { class: "choice" },
        h("input", { type: "radio", name: "kind", value, checked: value === "rule", onchange: () => this.sync() }),
        h("span", null, h("strong", null, label), h("span", { class: "muted" }, ` ${hint}`)),
      );
    this.kind = h(
      "fieldset",
      { class: "form-group kind-choice" },
      h("legend", null, "Kind"),
      radio("rule", "Rule", "a metric over a sliding window"),
      radio("budget", "Budget", "cost per UTC day or month"),
    );
    return this.kind;
  }

  /** A labelled control with an optional hint and a slot for its error. */
  field(name, label, control, hint = null, wide = false) {
    const id = `rule-${name.replace(/_/g, "-")}`;
    control.id = id;
    control.name = name;
    this.inputs[name] = control;
    const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
    this.errorSlots[name] = error;
    const hintNode = hint === null && name !== "threshold" ? null : h("p", { class: "field-hint muted", id: `${id}-hint` }, hint ?? "");
    if (hintNode) this.hints[name] = hintNode;
    const described = [control.getAttribute("aria-describedby"), hintNode && hintNode.id, error.id].filter(Boolean);
    control.setAttribute("aria-describedby", described.join(" "));
    const wrapper = h("div", { class: ["field", wide && "field-wide"] }, h("label", { for: id }, label), control, hintNode, error);
    this.fields[name] = wrapper;
    return wrapper;
  }

  windowField() {
    const count = h("input", { type: "text", inputmode: "numeric", autocomplete: "off", value: "15" });
    const wrapper = this.field("window", "Window", count);
    const unit = select("rule-window-unit", WINDOW_UNITS.map(([key, label]) => [key, label]), "m");
    unit.setAttribute("aria-label", "Window unit");
    this.inputs.window_unit = unit;
    const pair = h("div", { class: "field-pair" });
    count.replaceWith(pair);
    pair.append(count, unit);
    return wrapper;
  }

  propertyField() {
    const key = h("input", { type: "text", id: "rule-property-key", name: "property_key", autocomplete: "off", placeholder: "team", "aria-label": "Property name" });
    const value = h("input", { type: "text", id: "rule-property-value", name: "property_value", autocomplete: "off", placeholder: "research", "aria-label": "Property value" });
    this.inputs.property_key = key;
    this.inputs.property_value = value;
    for (const [name, input] of [["property_key", key], ["property_value", value]]) {
      const error = h("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
      this.errorSlots[name] = error;
      input.setAttribute("aria-describedby", `rule-filter-note ${error.id}`);
    }
    return h(
      "div",
      { class: "field field-property", role: "group", "aria-labelledby": "rule-property-label" },
      h("span", { class: "field-label", id: "rule-property-label" }, "Property"),
      h("div", { class: "property-inputs" }, key, h("span", { class: "equals", "aria-hidden": "true" }, "="), value),
      this.errorSlots.property_key,
      this.errorSlots.property_value,
    );
  }

  values() {
    const values = { kind: this.form.querySelector("input[name=kind]:checked")?.value ?? "rule" };
    for (const [name, input] of Object.entries(this.inputs)) values[name] = input.value;
    return values;
  }

  /** Show the fields of the chosen kind and the threshold's unit for the chosen metric. */
  sync() {
    const budget = this.values().kind === "budget";
    this.fields.metric.hidden = budget;
    this.fields.window.hidden = budget;
    this.fields.period.hidden = !budget;
    const metric = METRICS.find((m) => m.value === this.inputs.metric.value);
    const unit = budget ? "US dollars spent in the current UTC day or month." : metric?.unit ?? "";
    replaceChildren(this.hints.threshold, unit);
  }

  showErrors(errors) {
    for (const [name, slot] of Object.entries(this.errorSlots)) {
      const message = errors[name];
      replaceChildren(slot, message ?? "");
      slot.hidden = !message;
      const input = this.inputs[name];
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  async create(event) {
    event.preventDefault();
    if (this.submit.disabled) return; // Enter in a field while the last one is on its way
    const { body, errors } = ruleFromValues(this.values());
    this.showErrors(errors);
    const invalid = Object.keys(errors);
    if (invalid.length) {
      replaceChildren(
        this.message,
        h("p", { class: "notice notice-error", role: "alert" }, h("span", { class: "notice-icon", "aria-hidden": "true" }, "⚠"), `Not created: ${invalid.length === 1 ? "one field needs" : `${invalid.length} fields need`} a fix (marked above).`),
      );
      this.inputs[invalid[0]].focus();
      return;
    }
    this.submit.disabled = true;
    replaceChildren(this.submit, "Creating…");
    try {
      const rule = await postJSON("v1/alerts/rules", body);
      this.created(rule);
      await this.onCreated(rule);
    } catch (error) {
      replaceChildren(this.message, errorNotice(error));
    } finally {
      this.submit.disabled = false;
      replaceChildren(this.submit, "Create rule");
    }
  }

  created(rule) {
    const kind = this.values().kind;
    this.form.reset();
    this.form.querySelector(`input[name=kind][value=${kind}]`).checked = true;
    this.inputs.window.value = "15";
    this.inputs.window_unit.value = "m";
    this.sync();
    replaceChildren(
      this.message,
      h(
        "div",
        { class: "notice notice-ok", role: "status" },
        h("span", { class: "notice-icon", "aria-hidden": "true" }, "✓"),
        h(
          "div",
          null,
          h("p", null, `Created “${rule.name}”.`),
          rule.webhook_url
            ? h("p", null, "Webhook secret, shown this once (receivers check signatures with it): ", h("code", { class: "mono secret" }, rule.webhook_secret))
            : null,
        ),
      ),
    );
  }
}

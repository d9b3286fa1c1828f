// The sessions list's filter bar: search, name, user, status, time range, custom
// properties (key = value chips) and a score (its name, its average's bounds or a label,
// and sorting by it). It reports changes; the list owns the state and the URL.

import { field, rangeSelect, rangeToTimes } from "../components.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { fromLocalInput, toLocalInput } from "../format.js";

const TEXT_FILTERS = ["search", "name", "user_id", "score", "min_score", "max_score", "score_value"];
const SCORE_FILTERS = ["score", "min_score", "max_score", "score_value"];

/** The filter keys of a sessions state, with nothing filtered. */
export const NO_FILTERS = Object.freeze({
  search: "",
  name: "",
  user_id: "",
  status: "",
  range: "",
  since: "",
  until: "",
  property: [],
  score: "",
  min_score: "",
  max_score: "",
  score_value: "",
});

const SIMPLE_KEYS = ["search", "name", "user_id", "status", "range", ...SCORE_FILTERS];

/** The filter keys of a state, read from URL parameters. */
export function readFilters(params) {
  return {
    ...Object.fromEntries(SIMPLE_KEYS.map((key) => [key, params.get(key) ?? ""])),
    since: params.get("since") ?? "",
    until: params.get("until") ?? "",
    property: params.getAll("property").filter((item) => item.includes("=")),
  };
}

/** Write a state's filters into URL parameters (unset ones left out). */
export function writeFilters(state, params = new URLSearchParams()) {
  for (const key of SIMPLE_KEYS) if (state[key]) params.set(key, state[key]);
  if (state.range === "custom") {
    if (state.since) params.set("since", state.since);
    if (state.until) params.set("until", state.until);
  }
  for (const item of state.property) params.append("property", item);
  return params;
}

/** The API's parameters for a state's filters (the range as since/until). */
export function filterApiParams(state, params = new URLSearchParams()) {
  for (const key of ["search", "name", "user_id", "status", ...SCORE_FILTERS]) {
    if (state[key]) params.set(key, state[key]);
  }
  const { since, until } = rangeToTimes(state.range, state.since, state.until);
  if (since) params.set("since", since);
  if (until) params.set("until", until);
  for (const item of state.property) params.append("property", item);
  return params;
}

/** How many filters a state has on (each property counts). */
export function activeFilterCount(state) {
  const simple = SIMPLE_KEYS.filter((key) => state[key]).length;
  return simple + state.property.length;
}

export class SessionFilters {
  /** onChange(changes) is called with the filter keys that changed. */
  constructor(state, onChange) {
    this.state = state;
    this.onChange = onChange;
    this.applyText = debounce(() => this.apply(), 400);
    this.build();
    this.sync(state);
  }

  /** The elements to place on the page: the phone toggle, the form, the chips. */
  get elements() {
    return [this.toggle, this.form, this.chips];
  }

  destroy() {
    this.applyText.cancel();
  }

  build() {
    const text = (name, label, placeholder, extra = {}) =>
      field(
        label,
        h("input", {
          id: `filter-${name}`,
          name,
          type: "search",
          placeholder,
          autocomplete: "off",
          oninput: () => this.applyText(),
          ...extra,
        }),
      );
    this.names = h("datalist", { id: "session-names" });
    this.status = h(
      "select",
      { id: "filter-status", name: "status", onchange: (e) => this.apply({ status: e.target.value }) },
      h("option", { value: "" }, "Any status"),
      h("option", { value: "ok" }, "✓ ok"),
      h("option", { value: "error" }, "✕ error"),
      h("option", { value: "waiting" }, "◷ waiting for a human"),
    );
    this.range = rangeSelect("filter-range", this.state.range, (range) => this.apply({ range }));
    this.since = h("input", { id: "filter-since", type: "datetime-local", onchange: () => this.apply() });
    this.until = h("input", { id: "filter-until", type: "datetime-local", onchange: () => this.apply() });
    this.customRange = h("div", { class: "custom-range" }, field("From", this.since), field("To", this.until));
    const plain = { autocomplete: "off" };
    this.propKey = h("input", { id: "filter-property-key", placeholder: "key", "aria-label": "Property key", ...plain });
    this.propValue = h("input", {
      id: "filter-property-value",
      placeholder: "value",
      "aria-label": "Property value",
      ...plain,
    });
    this.chips = h("ul", { class: "chips", "aria-label": "Active property filters" });
    const scoreInput = (name, label, placeholder, type = "search") =>
      h("input", {
        id: `filter-${name}`,
        name,
        type,
        step: type === "number" ? "any" : undefined,
        placeholder,
        "aria-label": label,
        autocomplete: "off",
        oninput: () => this.applyText(),
      });
    this.scoreSort = h(
      "select",
      {
        id: "filter-score-sort",
        "aria-label": "Sort by the score",
        onchange: (e) =>
          this.apply(e.target.value ? { sort: "score", order: e.target.value } : { sort: "start_time", order: "desc" }),
      },
      h("option", { value: "" }, "Don't sort by it"),
      h("option", { value: "desc" }, "Highest first"),
      h("option", { value: "asc" }, "Lowest first"),
    );
    this.scoreField = h(
      "div",
      { class: "field field-score" },
      h("label", { for: "filter-score" }, "Score"),
      h(
        "div",
        { class: "score-inputs" },
        scoreInput("score", "Score name", "name, e.g. thumbs"),
        scoreInput("min_score", "Average at least", "min", "number"),
        h("span", { class: "equals", "aria-hidden": "true" }, "–"),
        scoreInput("max_score", "Average at most", "max", "number"),
        scoreInput("score_value", "Label (categorical score)", "or a label"),
        this.scoreSort,
      ),
    );
    this.toggle = h(
      "button",
      {
        type: "button",
        class: "button filters-toggle",
        "aria-controls": "session-filters",
        "aria-expanded": "false",
        onclick: () => {
          const open = !this.form.classList.contains("is-open");
          this.form.classList.toggle("is-open", open);
          this.toggle.setAttribute("aria-expanded", String(open));
        },
      },
      "Filters",
    );
    this.form = h(
      "form",
      {
        id: "session-filters",
        class: "filters foldable",
        role: "search",
        "aria-label": "Filter sessions",
        onsubmit: (event) => {
          event.preventDefault();
          if (this.propKey.value.trim()) this.addProperty();
          else this.apply();
        },
      },
      text("search", "Search", "name or id"),
      text("name", "Name", "exact name", { list: "session-names" }),
      this.names,
      text("user_id", "User id", "any user"),
      field("Status", this.status),
      field("Time", this.range),
      this.customRange,
      this.scoreField,
      h(
        "div",
        { class: "field field-property" },
        h("label", { for: "filter-property-key" }, "Property"),
        h(
          "div",
          { class: "property-inputs" },
          this.propKey,
          h("span", { class: "equals", "aria-hidden": "true" }, "="),
          this.propValue,
          h("button", { type: "button", class: "button", onclick: () => this.addProperty() }, "Add"),
        ),
      ),
      h(
        "button",
        { type: "button", class: "button button-ghost clear-filters", onclick: () => this.clear() },
        "Clear filters",
      ),
      h("button", { type: "submit", hidden: true, tabindex: "-1" }, "Apply"),
    );
  }

  /** Show a state: inputs (except the one being typed in), chips, the toggle's count. */
  sync(state) {
    this.state = state;
    for (const name of TEXT_FILTERS) {
      const input = this.form.elements.namedItem(name);
      if (document.activeElement !== input) input.value = state[name];
    }
    this.status.value = state.status;
    this.range.value = state.range;
    this.since.value = state.since ? toLocalInput(state.since) : "";
    this.until.value = state.until ? toLocalInput(state.until) : "";
    this.customRange.hidden = state.range !== "custom";
    this.scoreSort.value = state.sort === "score" ? state.order : "";
    this.scoreSort.disabled = !state.score;
    const active = activeFilterCount(state);
    this.toggle.textContent = active ? `Filters · ${active} active` : "Filters";
    this.renderChips();
  }

  /** Report the text inputs (and the given changes) together, e.g. when a select changes. */
  apply(extra = {}) {
    this.applyText.cancel();
    const changes = { ...extra };
    for (const name of TEXT_FILTERS) changes[name] = this.form.elements.namedItem(name).value.trim();
    // sorting by a score needs its name: without one, back to the default order
    if (!changes.score && (changes.sort ?? this.state.sort) === "score") {
      Object.assign(changes, { sort: "start_time", order: "desc" });
    }
    if ((changes.range ?? this.state.range) === "custom") {
      changes.since = fromLocalInput(this.since.value);
      changes.until = fromLocalInput(this.until.value);
    }
    if (Object.entries(changes).some(([key, value]) => this.state[key] !== value)) this.onChange(changes);
  }

  addProperty() {
    const key = this.propKey.value.trim();
    if (!key) {
      this.propKey.focus();
      return;
    }
    const item = `${key}=${this.propValue.value.trim()}`;
    this.propKey.value = "";
    this.propValue.value = "";
    if (!this.state.property.includes(item)) this.onChange({ property: [...this.state.property, item] });
  }

  clear() {
    this.applyText.cancel();
    for (const name of TEXT_FILTERS) this.form.elements.namedItem(name).value = "";
    const order = this.state.sort === "score" ? { sort: "start_time", order: "desc" } : {};
    this.onChange({ ...NO_FILTERS, ...order });
  }

  renderChips() {
    replaceChildren(
      this.chips,
      this.state.property.map((item) => {
        const cut = item.indexOf("=");
        const key = item.slice(0, cut);
        const value = item.slice(cut + 1);
        return h(
          "li",
          { class: "chip" },
          h("span", { class: "chip-key" }, key),
          " = ",
          h("span", { class: "chip-value" }, value),
          h(
            "button",
            {
              type: "button",
              class: "chip-remove",
              "aria-label": `Remove filter ${key} = ${value}`,
              onclick: () => this.onChange({ property: this.state.property.filter((p) => p !== item) }),
            },
            "✕",
          ),
        );
      }),
    );
    this.chips.hidden = this.state.property.length === 0;
  }

  /** Offer these sessions' names as suggestions for the name filter. */
  addNames(sessions) {
    const known = new Set([...this.names.options].map((option) => option.value));
    for (const session of sessions) {
      if (session.session_name && !known.has(session.session_name)) {
        known.add(session.session_name);
        this.names.appendChild(h("option", { value: session.session_name }));
      }
    }
  }
}

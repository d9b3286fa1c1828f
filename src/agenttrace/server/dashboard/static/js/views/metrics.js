// Metrics page: cost, requests, errors and p95 latency over time, and the models, users,
// paths and property values that cost the most, for the requests the session filters
// choose (GET /v1/metrics). Filters live in the URL fragment; the page refreshes itself.

import { getJSON, isAbort } from "../api.js";
import { emptyState, errorNotice, field, rangeToTimes, stat } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatCost, formatDuration, formatInt } from "../format.js";
import { rankedBars, timeChart } from "../chart.js";
import { BUCKETS, alongSlots, autoBucket, browserZone, timeSlots } from "./metric_slots.js";
import { FilteredView } from "./filtered_view.js";
import { activeFilterCount, filterApiParams, readFilters, writeFilters } from "./session_filters.js";

const POLL_MS = 10_000;
const TOP = 8;
function readState(params) {
  const bucket = params.get("bucket");
  return {
    ...readFilters(params),
    bucket: BUCKETS.some((b) => b.value === bucket) ? bucket : "",
    by: params.get("by") ?? "",
  };
}

function stateParams(state) {
  const params = writeFilters(state);
  if (state.bucket) params.set("bucket", state.bucket);
  if (state.by) params.set("by", state.by);
  return params;
}

function withParams(base, extra) {
  const params = new URLSearchParams(base);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params;
}

const percent = (value) => (value === null || value === undefined ? "—" : `${(100 * value).toFixed(value && value < 0.1 ? 1 : 0)}%`);
const count = (value) => formatInt(value ?? 0);
const plural = (n, word) => `${formatInt(n)} ${word}${n === 1 ? "" : "s"}`;

function rankedRows(groups, key) {
  return groups
    .filter((group) => group.cost_usd !== null || group.requests)
    .slice(0, TOP)
    .map((group) => {
      const value = group.key[key];
      const errors = group.errors ? ` · ${plural(group.errors, "error")}` : "";
      return {
        label: value ?? "(none)",
        missing: value === null,
        value: group.cost_usd ?? 0,
        detail: `${plural(group.requests, "request")}${errors}`,
      };
    });
}

export class MetricsView extends FilteredView {
  constructor(root, _arg, params) {
    super(root, params, { route: "metrics", pollMs: POLL_MS, read: readState, write: stateParams });
    this.keys = null; // property keys in use, from GET /v1/properties
    this.start();
  }

  reload() {
    return this.load();
  }

  refresh() {
    return this.load({ quiet: true });
  }

  synced() {
    this.bucketControl.value = this.state.bucket;
  }

  render() {
    this.bucketControl = h(
      "select",
      { id: "metrics-bucket", onchange: (event) => this.setState({ bucket: event.target.value }) },
      BUCKETS.map((item) => h("option", { value: item.value, selected: item.value === this.state.bucket }, item.label)),
    );
    this.notice = h("div", { class: "notice-slot" });
    this.summary = h("p", { class: "result-summary", "aria-live": "polite" });
    this.content = h("div", { class: "metrics" }, h("p", { class: "placeholder" }, "Loading…"));
    const [toggle, form, chips] = this.filters.elements;
    form.insertBefore(field("Buckets", this.bucketControl), form.querySelector(".clear-filters"));
    replaceChildren(
      this.root,
      h("div", { class: "view-header" }, h("h1", null, "Metrics"), this.live.element),
      toggle,
      form,
      chips,
      this.notice,
      this.summary,
      this.content,
    );
  }

  /** The time range and bucket to ask for: {since, until, bucket, fromMs, toMs}. */
  async timeFrame(base, signal) {
    const { since, until } = rangeToTimes(this.state.range, this.state.since, this.state.until);
    const now = Date.now();
    const fromMs = since ? new Date(since).getTime() : null;
    const toMs = until ? new Date(until).getTime() : since ? now : null;
    let bucket = this.state.bucket;
    if (!bucket && fromMs !== null) bucket = autoBucket((toMs ?? now) - fromMs);
    if (!bucket) {
      // No range: the bucket follows how far back the oldest matching request is.
      const oldest = await getJSON("v1/requests", withParams(base, { order: "asc", limit: "1" }), { signal });
      const row = oldest.requests[0];
      const first = row?.start_time;
      bucket = autoBucket(first ? now - new Date(first).getTime() : 0);
    }
    return { bucket, fromMs, toMs };
  }

  async load({ quiet = false } = {}) {
    const controller = this.nextController();
    const { signal } = controller;
    const base = filterApiParams(this.state);
    let answers;
    try {
      if (this.keys === null) {
        const found = await getJSON("v1/properties", { limit: "50", values: "0" }, { signal });
        this.keys = found.properties.map((item) => item.key);
      }
      const by = this.state.by || this.keys[0] || "";
      const frame = await this.timeFrame(base, signal);
      const ask = (extra) => getJSON("v1/metrics", withParams(base, extra), { signal });
      const [overall, time, models, users, paths, values] = await Promise.all([
        ask({}),
        ask({ group_by: "time", bucket: frame.bucket, tz: browserZone() }),
        ask({ group_by: "model" }),
        ask({ group_by: "user" }),
        ask({ group_by: "path" }),
        by ? ask({ group_by: `property:${by}` }) : Promise.resolve(null),
      ]);
      answers = { overall, time, models, users, paths, values, frame, by };
    } catch (error) {
      if (isAbort(error)) return;
      if (quiet) this.live.failed(error);
      else {
        replaceChildren(this.notice, errorNotice(error));
        replaceChildren(this.content);
      }
      return;
    }
    if (controller !== this.controller) return;
    replaceChildren(this.notice);
    this.live.refreshed();
    this.renderAnswers(answers);
  }

  renderAnswers({ overall, time, models, users, paths, values, frame, by }) {
    const all = overall.groups[0];
    if (!all || !all.requests) {
      this.summary.textContent = "";
      const filtered = activeFilterCount(this.state) > 0;
      replaceChildren(
        this.content,
        emptyState(
          filtered ? "No request matches these filters." : "No requests yet.",
          filtered ? "Change or clear the filters above." : "Traced runs show up here within seconds.",
        ),
      );
      return;
    }
    this.summary.textContent = `${formatInt(all.requests)} requests in ${formatInt(all.sessions)} sessions, ${
      frame.bucket === "day" ? "per day" : `per ${frame.bucket}`
    }`;
    const starts = time.groups.map((group) => new Date(group.bucket_start).getTime());
    const slots = timeSlots(frame.fromMs, frame.toMs, frame.bucket, starts);
    const along = (pick, fill) => alongSlots(slots, time.groups, pick, fill);
    const charts = [
      timeChart({
        id: "cost",
        title: "Cost",
        total: formatCost(all.cost_usd ?? 0),
        slots,
        type: "bar",
        format: (v) => formatCost(v ?? 0),
        tickFormat: (v) => (v >= 0.01 || v === 0 ? `$${v.toFixed(2)}` : formatCost(v)),
        series: [{ name: "cost", cls: "tone-accent", values: along((g) => g.cost_usd ?? 0, 0) }],
      }),
      timeChart({
        id: "requests",
        title: "Requests",
        total: formatInt(all.requests),
        slots,
        type: "bar",
        format: count,
        series: [
          { name: "ok", cls: "tone-ok", values: along((g) => g.requests - g.errors, 0) },
          { name: "errors", cls: "tone-err", values: along((g) => g.errors, 0) },
        ],
      }),
      timeChart({
        id: "errors",
        title: "Error rate",
        total: `${percent(all.error_rate)} (${formatInt(all.errors)})`,
        slots,
        type: "line",
        format: percent,
        series: [{ name: "errors", cls: "tone-err", values: along((g) => g.error_rate, null) }],
      }),
      timeChart({
        id: "latency",
        title: "Latency",
        total: `p95 ${formatDuration(all.latency_p95_ms)}`,
        slots,
        type: "line",
        format: formatDuration,
        series: [
          { name: "p95", cls: "tone-warn", values: along((g) => g.latency_p95_ms, null) },
          { name: "p50", cls: "tone-accent", values: along((g) => g.latency_p50_ms, null) },
        ],
      }),
    ];
    const byControl = this.keys.length
      ? h(
          "select",
          { id: "metrics-property", "aria-label": "Property key", onchange: (event) => this.setState({ by: event.target.value }) },
          this.keys.map((key) => h("option", { value: key, selected: key === by }, key)),
        )
      : null;
    const ranked = [
      rankedBars({ id: "model", title: "Top models by cost", rows: rankedRows(models.groups, "model"), format: formatCost, empty: "No models." }),
      rankedBars({ id: "user", title: "Top users by cost", rows: rankedRows(users.groups, "user"), format: formatCost, empty: "No users." }),
      rankedBars({ id: "path", title: "Top paths by cost", rows: rankedRows(paths.groups, "path"), format: formatCost, empty: "No paths." }),
      rankedBars({
        id: "property",
        title: by ? "Top values by cost" : "Property values",
        rows: values ? rankedRows(values.groups, `property:${by}`) : [],
        format: formatCost,
        empty: "No custom properties in these requests.",
        control: byControl,
      }),
    ];
    replaceChildren(
      this.content,
      h(
        "div",
        { class: "stats metrics-stats" },
        stat("Cost", formatCost(all.cost_usd ?? 0)),
        stat("Requests", formatInt(all.requests)),
        stat("Error rate", percent(all.error_rate)),
        stat("p95 latency", formatDuration(all.latency_p95_ms)),
        stat("Tokens", formatInt(all.total_tokens)),
      ),
      h("div", { class: "chart-grid" }, charts),
      h("div", { class: "ranked-grid" }, ranked),
    );
  }
}

// The request drawer: everything about one request, its bodies fetched on demand.

import { getJSON, isAbort } from "../api.js";
import { errorNotice } from "../components.js";
import { h, replaceChildren } from "../dom.js";
import { formatClock, formatCost, formatDuration, formatInt, formatTime } from "../format.js";
import { requestStatus, statusBadge } from "../status.js";
import { bodySection } from "./bodies.js";

/** A request's title: its name, else its model, else its kind. */
export function requestTitle(request) {
  return request.name || request.model || request.kind || "request";
}

function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([label, value, options]) =>
        h(
          "div",
          { class: ["fact", options?.wide && "fact-wide"] },
          h("dt", null, label),
          h("dd", { class: options?.mono && "mono" }, value),
        ),
      ),
  );
}

function tokenFacts(request) {
  const optional = (label, value) => (value === null || value === undefined ? null : [label, formatInt(value)]);
  return [
    ["Prompt tokens", formatInt(request.input_tokens)],
    ["Completion tokens", formatInt(request.output_tokens)],
    ["Total tokens", formatInt(request.total_tokens)],
    optional("Cache read", request.cache_read_tokens),
    optional("Cache write", request.cache_write_tokens),
    optional("Reasoning", request.reasoning_tokens),
  ].filter(Boolean);
}

/** Why a call that failed, stopped or still runs has no response (null for a finished call). */
function missingResponse(request) {
  const status = requestStatus(request);
  const error = request.error;
  const errorName = error ? h("strong", null, error.type || "an error") : null;
  const message = error?.message ? h("pre", { class: "error-message" }, error.message) : null;
  const line = (icon, ...text) => h("p", null, h("span", { "aria-hidden": "true" }, `${icon} `), ...text);
  switch (status) {
    case "error":
      return h(
        "div",
        { class: "no-response is-error" },
        error ? line("✕", "No response: the call raised ", errorName) : line("✕", "No response: the call failed (no error was recorded)."),
        message,
      );
    case "interrupted":
    case "cancelled":
      return h("div", { class: "no-response" }, line("‖", `No response: the call was ${status}`, error ? [" (", errorName, ")"] : null, "."), message);
    case "running":
      return h("div", { class: "no-response" }, line("…", "No response yet: the call is still running."));
    default:
      return null;
  }
}

export class RequestPanel {
  /** onClose() is called when the user closes the drawer. */
  constructor(onClose) {
    this.onClose = onClose;
    this.controller = null;
    this.requestId = null;
    this.content = h("div", { class: "drawer-content" });
    this.closeButton = h(
      "button",
      { type: "button", class: "button drawer-close", "aria-label": "Close request details", onclick: () => this.onClose() },
      "✕",
    );
    this.element = h(
      "aside",
      { class: "drawer", hidden: true, "aria-label": "Request details", tabindex: "-1" },
      this.closeButton,
      this.content,
    );
    this.onKey = (event) => {
      if (event.key === "Escape" && !this.element.hidden && !document.querySelector("dialog[open]")) this.onClose();
    };
    document.addEventListener("keydown", this.onKey);
  }

  destroy() {
    this.controller?.abort();
    document.removeEventListener("keydown", this.onKey);
    this.element.remove();
  }

  close() {
    this.controller?.abort();
    this.requestId = null;
    this.element.hidden = true;
    document.body.classList.remove("drawer-open");
  }

  /** Show one request: the summary row right away, then its bodies once fetched. */
  async open(summary, requestId) {
    if (this.requestId === requestId && !this.element.hidden) return;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.requestId = requestId;
    this.element.hidden = false;
    document.body.classList.add("drawer-open");
    this.render(summary ?? { id: requestId }, null, true);
    this.element.focus({ preventScroll: true });
    try {
      const full = await getJSON(`v1/requests/${encodeURIComponent(requestId)}`, null, { signal: controller.signal });
      if (controller === this.controller) this.render(full, null, false);
    } catch (error) {
      if (!isAbort(error) && controller === this.controller) this.render(summary ?? { id: requestId }, error, false);
    }
  }

  render(request, error, loading) {
    const status = request.status ? requestStatus(request) : null;
    const properties = Object.entries(request.properties ?? {});
    const bodies = loading
      ? h("p", { class: "placeholder" }, "Loading bodies…")
      : error
        ? errorNotice(error)
        : [
            bodySection("Request", request.request_body, {
              omittedHint: "not recorded (Helicone-Omit-Request, redaction, or no body)",
            }),
            bodySection("Response", request.response_body, {
              omittedHint: "not recorded (Helicone-Omit-Response, redaction, or no body)",
              missing: missingResponse(request),
            }),
          ];
    replaceChildren(
      this.content,
      h(
        "header",
        { class: "drawer-header" },
        h("p", { class: "eyebrow" }, [request.kind, request.session_path].filter(Boolean).join(" · ")),
        h("h2", { class: "drawer-title" }, requestTitle(request)),
        status ? statusBadge(status) : null,
      ),
      request.error
        ? h(
            "div",
            { class: "request-error", role: "note" },
            h("span", { class: "notice-icon", "aria-hidden": "true" }, "✕"),
            h("div", null, h("strong", null, request.error.type || "Error"), request.error.message ? h("pre", { class: "error-message" }, request.error.message) : null),
          )
        : null,
      h("h3", null, "Call"),
      facts([
        ["Model", request.model],
        ["Provider", request.provider],
        ["Latency", formatDuration(request.latency_ms)],
        ["Time to first token", request.time_to_first_token_ms == null ? null : formatDuration(request.time_to_first_token_ms)],
        ["Cost", formatCost(request.cost_usd)],
        ["Started", request.start_time ? `${formatTime(request.start_time)}.${formatClock(request.start_time).slice(9)}` : null],
        ["Ended", request.end_time ? formatClock(request.end_time) : request.status ? "not yet" : null],
        ["Attempt", request.attempt > 1 ? String(request.attempt) : null],
        ["Branch", request.branch_id],
        ["User", request.user_id],
        ["Request id", request.id, { wide: true, mono: true }],
        ["Parent id", request.parent_id, { wide: true, mono: true }],
      ]),
      h("h3", null, "Tokens"),
      facts(tokenFacts(request)),
      properties.length
        ? [
            h("h3", null, "Properties"),
            h(
              "table",
              { class: "kv-table" },
              h(
                "tbody",
                null,
                properties.map(([key, value]) => h("tr", null, h("th", { scope: "row" }, key), h("td", null, value))),
              ),
            ),
          ]
        : null,
      bodies,
    );
  }
}

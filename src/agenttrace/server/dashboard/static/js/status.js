// How a status is shown: an icon, a word and a colour (never the colour alone).

import { h } from "./dom.js";

const STATUSES = {
  ok: { icon: "✓", label: "ok" },
  error: { icon: "✕", label: "error" },
  interrupted: { icon: "‖", label: "interrupted" },
  cancelled: { icon: "⊘", label: "cancelled" },
  handoff: { icon: "↪", label: "handoff" },
  running: { icon: "…", label: "running" },
  waiting: { icon: "◷", label: "waiting" },
};

/** The icon and word for a status (unknown statuses show as themselves). */
export function statusInfo(status) {
  return STATUSES[status] ?? { icon: "•", label: String(status ?? "unknown") };
}

/** A badge: <span class="status status-error"><span aria-hidden>✕</span> error</span>. */
export function statusBadge(status, { compact = false } = {}) {
  const info = statusInfo(status);
  const key = STATUSES[status] ? status : "unknown";
  return h(
    "span",
    { class: ["status", `status-${key}`, compact && "status-compact"], title: info.label },
    h("span", { class: "status-icon", "aria-hidden": "true" }, info.icon),
    h("span", { class: "status-label" }, info.label),
  );
}

/** The status a request is shown with: its own, "running" while it has not ended, or
 * "waiting" for a question to a human nobody has answered yet. */
export function requestStatus(request) {
  if (request.kind === "human" && !request.end_time) return "waiting";
  if (request.status === "ok" && !request.end_time) return "running";
  return request.status;
}

// Entry point: route the URL fragment to a view, keep the navigation and key controls
// up to date.

import { mountKeyControls } from "./auth.js";
import { replaceChildren, h } from "./dom.js";
import { parseLocation } from "./router.js";
import { LiveView } from "./views/live.js";
import { MetricsView } from "./views/metrics.js";
import { AlertsView } from "./views/alerts.js";
import { PathsView } from "./views/paths.js";
import { SessionDetailView } from "./views/session_detail.js";
import { SessionsView } from "./views/sessions.js";

const VIEWS = {
  sessions: { View: SessionsView, title: "Sessions" },
  session: { View: SessionDetailView, title: "Session" },
  paths: { View: PathsView, title: "Paths" },
  metrics: { View: MetricsView, title: "Metrics" },
  live: { View: LiveView, title: "Live" },
  alerts: { View: AlertsView, title: "Alerts" },
};

let current = null; // {key, view}

function resolve(parts) {
  if (parts[0] === "sessions" && parts.length >= 2) return ["session", parts[1]];
  if (parts[0] === "paths") return ["paths", ""];
  if (parts[0] === "metrics") return ["metrics", ""];
  if (parts[0] === "live") return ["live", ""];
  if (parts[0] === "alerts") return ["alerts", ""];
  return ["sessions", ""];
}

function markNav(name) {
  const section = name === "session" ? "sessions" : name;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function route({ force = false } = {}) {
  const { parts, params } = parseLocation();
  const [name, arg] = resolve(parts);
  const key = `${name}:${arg}`;
  if (!force && current && current.key === key) {
    current.view.update(params);
    return;
  }
  current?.view.destroy();
  const root = document.getElementById("app");
  replaceChildren(root);
  const { View, title } = VIEWS[name];
  document.title = `${title} · agenttrace`;
  try {
    current = { key, view: new View(root, arg, params) };
  } catch (error) {
    current = null;
    replaceChildren(root, h("p", { class: "notice notice-error", role: "alert" }, `The dashboard failed: ${error.message}`));
    throw error;
  }
  markNav(name);
  if (!force) window.scrollTo({ top: 0 });
}

window.addEventListener("hashchange", () => route());
mountKeyControls(document.getElementById("auth-slot"), () => route({ force: true }));
route();

// The view and its parameters live in the URL fragment: #/sessions?name=x&sort=cost_usd.
// Views rewrite the fragment with replaceState as filters change, so links are shareable
// and the back button returns to the previous view.

/** {parts: ["sessions", "<id>"], params: URLSearchParams} of the current fragment. */
export function parseLocation(hash = window.location.hash) {
  const raw = hash.replace(/^#/, "");
  const mark = raw.indexOf("?");
  const path = mark < 0 ? raw : raw.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? "" : raw.slice(mark + 1));
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { parts, params };
}

/** "#/sessions/<id>?a=b" for parts and params. */
export function buildHash(parts, params) {
  const path = `#/${parts.map((part) => encodeURIComponent(part)).join("/")}`;
  const query = params ? new URLSearchParams(params).toString() : "";
  return query ? `${path}?${query}` : path;
}

/** Change the fragment without adding a history entry or re-routing. */
export function replaceHash(parts, params) {
  const next = buildHash(parts, params);
  if (next !== window.location.hash) window.history.replaceState(window.history.state, "", next);
}

/** Change the fragment with a history entry, without re-routing. */
export function pushHash(parts, params) {
  const next = buildHash(parts, params);
  if (next !== window.location.hash) window.history.pushState(window.history.state, "", next);
}

/** The link to one session (and optionally one of its requests). */
export function sessionHref(sessionId, requestId) {
  return buildHash(["sessions", sessionId], requestId ? { request: requestId } : null);
}

// Calls to the collector's native query API (docs/architecture.md, "Query (native)").

import { getApiKey, requestApiKey } from "./auth.js";

/** The collector answered with an error (status 0: it could not be reached). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (typeof body?.error === "string" && body.error) return body.error;
    if (typeof body?.detail === "string") return body.detail;
    if (Array.isArray(body?.detail)) {
      return body.detail
        .map((item) => `${(item.loc ?? []).slice(1).join(".")}: ${item.msg ?? ""}`)
        .join("; ");
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `The collector answered ${response.status} ${response.statusText}.`.replace(" .", ".");
}

/** The URL of an API path (relative to the page, so a sub-path behind a proxy works). */
export function apiUrl(path, params) {
  const url = new URL(path.replace(/^\//, ""), document.baseURI);
  if (params) {
    for (const [key, value] of new URLSearchParams(params)) {
      if (value !== "") url.searchParams.append(key, value);
    }
  }
  return url;
}

/**
 * GET an API path and return its JSON. On 401 the user is asked for an API key and the
 * call is retried with it; other errors throw ApiError with the collector's sentence.
 */
export async function getJSON(path, params, { signal } = {}) {
  return send(apiUrl(path, params), { signal, cache: "no-store" });
}

/** POST a JSON body to an API path and return the answer's JSON (errors as getJSON's). */
export async function postJSON(path, body) {
  return send(apiUrl(path), { method: "POST", body: JSON.stringify(body), contentType: "application/json" });
}

/** DELETE an API path (errors as getJSON's); the answer's JSON, or null for 204. */
export async function deleteJSON(path) {
  return send(apiUrl(path), { method: "DELETE" });
}

async function send(url, { signal, cache, method = "GET", body, contentType } = {}) {
  for (;;) {
    const headers = { Accept: "application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    const key = getApiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(url, { method, headers, body, signal, cache });
    } catch (error) {
      if (error?.name === "AbortError") throw error;
      throw new ApiError(0, "The collector cannot be reached. Is it still running?");
    }
    if (response.status === 401) {
      const message = await errorMessage(response);
      const newKey = await requestApiKey(message);
      if (newKey) continue;
      throw new ApiError(401, `${message} (no API key given)`);
    }
    if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
    return response.status === 204 ? null : response.json();
  }
}

/** True for the error an aborted fetch throws (a view was left while it loaded). */
export function isAbort(error) {
  return error?.name === "AbortError";
}

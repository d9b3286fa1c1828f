// The API key: kept in localStorage, asked for when the collector answers 401, and sent
// as "Authorization: Bearer <key>" on every API call.

import { h, replaceChildren } from "./dom.js";

const STORAGE_KEY = "agenttrace.apiKey";
const listeners = new Set();
let pending = null;
let declined = false; // the user closed the dialog: do not ask again on every refresh

/** The stored key, or "" when there is none (or storage is unavailable). */
export function getApiKey() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

function storeApiKey(key) {
  try {
    if (key) window.localStorage.setItem(STORAGE_KEY, key);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode without storage: the key lasts until the page is closed.
  }
  for (const listener of listeners) listener(key);
}

/** Call fn(key) whenever the key is set or forgotten. */
export function onApiKeyChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Forget the stored key. */
export function forgetApiKey() {
  storeApiKey("");
}

/**
 * Ask the user for a key (one dialog however many calls are waiting). Resolves with the
 * new key, or null when the user closes the dialog without one. Once the user has closed
 * it, later calls resolve null at once until `promptForApiKey` is called.
 */
export function requestApiKey(message) {
  if (declined) return Promise.resolve(null);
  if (!pending) {
    pending = askForKey(message).then((key) => {
      pending = null;
      declined = !key;
      return key;
    });
  }
  return pending;
}

/** Ask for a key because the user wants to enter one (after closing the dialog before). */
export function promptForApiKey(message) {
  declined = false;
  return requestApiKey(message);
}

function askForKey(message) {
  return new Promise((resolve) => {
    const input = h("input", {
      id: "api-key-input",
      name: "api-key",
      type: "password",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      placeholder: "paste the project's API key",
    });
    const hadKey = Boolean(getApiKey());
    const dialog = h(
      "dialog",
      { class: "key-dialog", "aria-labelledby": "api-key-title" },
      h(
        "form",
        {
          onsubmit: (event) => {
            event.preventDefault();
            const key = input.value.trim();
            if (!key) return;
            storeApiKey(key);
            dialog.close("saved");
          },
        },
        h("h2", { id: "api-key-title" }, hadKey ? "That API key was refused" : "API key needed"),
        h(
          "p",
          { class: "muted" },
          "This collector asks for an API key. It is kept in this browser's local storage " +
            "and sent as an Authorization: Bearer header.",
        ),
        message ? h("p", { class: "key-dialog-message" }, message) : null,
        h("label", { for: "api-key-input" }, "API key"),
        input,
        h(
          "div",
          { class: "dialog-actions" },
          h("button", { type: "button", class: "button", onclick: () => dialog.close("cancel") }, "Cancel"),
          h("button", { type: "submit", class: "button button-primary" }, "Use this key"),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "saved" ? getApiKey() : null);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}

/** Keep the key controls in the top bar in step with the stored key. */
export function mountKeyControls(slot, onChange) {
  const render = () => {
    if (!getApiKey()) {
      replaceChildren(slot);
      return;
    }
    replaceChildren(
      slot,
      h("span", { class: "key-state" }, "API key set"),
      h(
        "button",
        {
          type: "button",
          class: "button button-small",
          onclick: () => {
            forgetApiKey();
            onChange();
          },
        },
        "Forget key",
      ),
    );
  };
  onApiKeyChange(render);
  render();
}

// Request and response bodies: chat messages when the body looks like a conversation, the
// raw JSON always, and "omitted" when the body was not recorded. All of it as text.

import { h } from "../dom.js";

const SHOW_FIRST = 100_000; // characters shown before "Show all"

/** The body as readable text: strings as they are, anything else as indented JSON. */
export function bodyText(value) {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function contentText(content) {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => {
        if (typeof block === "string") return block;
        if (block && typeof block.text === "string") return block.text;
        return bodyText(block);
      })
      .join("\n");
  }
  return bodyText(content);
}

function asMessage(item) {
  if (!item || typeof item !== "object" || Array.isArray(item)) return null;
  const role = item.role ?? item.type ?? item.kwargs?.type;
  const content = item.content ?? item.kwargs?.content;
  const toolCalls = item.tool_calls ?? item.kwargs?.tool_calls;
  if (typeof role !== "string") return null;
  if (content === undefined && !toolCalls) return null;
  return {
    role,
    text: contentText(content),
    toolCalls: Array.isArray(toolCalls) && toolCalls.length ? toolCalls : null,
  };
}

/** The messages of a chat-shaped body, or null when it does not look like a chat. */
export function chatMessages(body) {
  if (!body || typeof body !== "object") return null;
  let candidates = null;
  if (Array.isArray(body)) candidates = body;
  else if (Array.isArray(body.messages)) candidates = body.messages;
  else if (Array.isArray(body.choices)) candidates = body.choices.map((choice) => choice?.message);
  else if (Array.isArray(body.generations)) candidates = body.generations.flat().map((g) => g?.message ?? g);
  else candidates = [body];
  const flat = candidates.flat();
  const messages = flat.map(asMessage);
  return messages.length && messages.every(Boolean) ? messages : null;
}

function longText(text, className) {
  const pre = h("pre", { class: className }, text.length > SHOW_FIRST ? text.slice(0, SHOW_FIRST) : text);
  if (text.length <= SHOW_FIRST) return pre;
  const more = h(
    "button",
    {
      type: "button",
      class: "button button-small",
      onclick: () => {
        pre.textContent = text;
        more.remove();
      },
    },
    `Show all ${text.length.toLocaleString("en-US")} characters`,
  );
  return h("div", null, pre, more);
}

function messageView(message) {
  return h(
    "li",
    { class: ["message", `message-${message.role.toLowerCase()}`] },
    h("span", { class: "message-role" }, message.role),
    message.text ? longText(message.text, "message-text") : null,
    message.toolCalls
      ? h("div", { class: "message-tools" }, h("span", { class: "muted" }, "tool calls"), longText(bodyText(message.toolCalls), "code"))
      : null,
  );
}

/**
 * A section for one body: heading, then messages and/or raw text. Without a body: missing
 * (a node saying why there is none, e.g. the call raised) when given, else "omitted".
 */
export function bodySection(title, body, { omittedHint, missing = null }) {
  const heading = h("h3", null, title);
  if (body === null || body === undefined) {
    return h(
      "section",
      { class: "body-section", dataset: { body: title.toLowerCase() } },
      heading,
      missing ??
        h("p", { class: "omitted" }, h("span", { "aria-hidden": "true" }, "∅ "), "omitted", h("span", { class: "muted" }, ` — ${omittedHint}`)),
    );
  }
  const text = bodyText(body);
  const messages = chatMessages(body);
  const raw = longText(text, "code body-raw");
  const copy = h(
    "button",
    {
      type: "button",
      class: "button button-small",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text);
          copy.textContent = "Copied";
        } catch {
          copy.textContent = "Copy failed";
        }
      },
    },
    "Copy",
  );
  return h(
    "section",
    { class: "body-section", dataset: { body: title.toLowerCase() } },
    h("div", { class: "section-head" }, heading, copy),
    messages
      ? [
          h("ol", { class: "messages" }, messages.map(messageView)),
          h("details", { class: "raw" }, h("summary", null, "Raw JSON"), raw),
        ]
      : raw,
  );
}

// Build DOM nodes from data without ever parsing data as markup.
//
// Every string child becomes a text node and every attribute is set with setAttribute,
// so a stored "<script>" or "<img onerror=...>" shows up as the characters it is. Event
// handlers are functions only; an "on..." attribute given as a string is refused.

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "open", "hidden", "type"]);

/** A link target we are willing to put in href: in-app fragments and relative paths. */
export function safeHref(value) {
  const text = String(value);
  if (text.startsWith("#") || text.startsWith("?")) return text;
  if (text.startsWith("/") && !text.startsWith("//")) return text;
  return "#";
}

/**
 * Create an element: h("a", {href: "#/x", class: "link"}, "text", otherNode, [more]).
 * Props: class (string or array), dataset, style (CSS properties), on<Event> (function),
 * aria-* and any other attribute (stringified), and a few DOM properties (value, checked…).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : String(value);
    } else if (key === "dataset") {
      for (const [name, item] of Object.entries(value)) el.dataset[name] = String(item);
    } else if (key === "style") {
      for (const [name, item] of Object.entries(value)) el.style.setProperty(name, String(item));
    } else if (key.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`${key} must be a function`);
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "href") {
      el.setAttribute("href", safeHref(value));
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children (nodes, strings, numbers, nested arrays; null/false skipped) as nodes. */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Remove every child of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replace el's children with the given ones. */
export function replaceChildren(el, ...children) {
  clear(el);
  return append(el, children);
}

/** Call fn at most once per waitMs, after the calls stop. */
export function debounce(fn, waitMs) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

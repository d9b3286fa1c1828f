// How figures are written: tokens, costs, durations, times.

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const DASH = "—";

/** 12,345 (or — when unknown). */
export function formatInt(value) {
  return value === null || value === undefined ? DASH : integer.format(value);
}

/** $1.23, $0.0123, $0.000041 (enough digits to show small costs), or — when unknown. */
export function formatCost(usd) {
  if (usd === null || usd === undefined) return DASH;
  if (usd === 0) return "$0.00";
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  // At least four decimals, and two significant digits for smaller amounts.
  const digits = Math.min(8, Math.max(4, 1 - Math.floor(Math.log10(usd))));
  let text = usd.toFixed(digits);
  while (text.length - text.indexOf(".") - 1 > 4 && text.endsWith("0")) text = text.slice(0, -1);
  return `$${text}`;
}

/** 4.2 ms, 850 ms, 1.24 s, 12.5 s, 3 m 12 s, 2 h 05 m (or — when unknown). */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return DASH;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} m`;
}

/** 12.5% (or — when there is nothing to divide by). */
export function formatPercent(part, whole) {
  if (!whole) return DASH;
  const value = (100 * part) / whole;
  return `${value < 10 && value > 0 ? value.toFixed(1) : Math.round(value)}%`;
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

/** 2025-11-22 07:29:03 in the browser's time zone (or — when unknown). */
export function formatTime(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Short for table cells: 07:29:03 today, Nov 21 07:29 this year, else 2024-11-21. */
export function formatWhen(iso, now = new Date()) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (d.toDateString() === now.toDateString()) {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  if (d.getFullYear() === now.getFullYear()) {
    return `${MONTHS[d.getMonth()]} ${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** 07:29:03.125 (for request start and end times within a session). */
export function formatClock(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return DASH;
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return DASH;
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** The first characters of a long id, for narrow cells (the full id goes in a title). */
export function shortId(id, keep = 8) {
  const text = String(id ?? "");
  return text.length > keep + 1 ? `${text.slice(0, keep)}…` : text;
}

/** Milliseconds since the epoch of an ISO time, or null. */
export function toMillis(iso) {
  if (!iso) return null;
  const value = new Date(iso).getTime();
  return Number.isNaN(value) ? null : value;
}

const ISO_TIME = /^(.*T\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Microseconds since the epoch of an ISO time, or null. The collector keeps microseconds and
 * writes them in the fraction ("…T07:29:03.000214Z"); a Date keeps only milliseconds, so the
 * fraction is read here (a 0.2 ms call would otherwise last 0 or 1 ms).
 */
export function toMicros(iso) {
  if (!iso) return null;
  const match = ISO_TIME.exec(String(iso));
  if (!match) {
    const ms = toMillis(iso);
    return ms === null ? null : ms * 1000;
  }
  const whole = Date.parse(`${match[1]}${match[3] ?? ""}`);
  if (Number.isNaN(whole)) return null;
  return whole * 1000 + Number(`${match[2] ?? ""}000000`.slice(0, 6));
}

/** The value of a datetime-local input for an ISO time (local time, minutes). */
export function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The ISO (UTC) time of a datetime-local input's value, or "" when empty or invalid. */
export function fromLocalInput(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

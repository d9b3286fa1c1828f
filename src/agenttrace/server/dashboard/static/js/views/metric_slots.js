// The time slots of the metrics charts: which bucket a time range gets, every slot of the
// range in the browser's time zone (empty ones included), and where each group goes.

const MINUTE = 60e3;
const HOUR = 3600e3;
const DAY = 86400e3;

export const BUCKETS = [
  { value: "", label: "Auto" },
  { value: "minute", label: "Per minute" },
  { value: "hour", label: "Per hour" },
  { value: "day", label: "Per day" },
];

/** The browser's IANA time zone (UTC when it has none). */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The bucket for a range of spanMs (null: unbounded): minute up to 3 h, hour up to 4 days. */
export function autoBucket(spanMs) {
  if (spanMs === null) return "day";
  if (spanMs <= 3 * HOUR) return "minute";
  if (spanMs <= 4 * DAY) return "hour";
  return "day";
}

function floorTo(ms, bucket) {
  const d = new Date(ms);
  if (bucket === "minute") d.setSeconds(0, 0);
  else if (bucket === "hour") d.setMinutes(0, 0, 0);
  else d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function next(ms, bucket) {
  if (bucket === "minute") return ms + MINUTE;
  if (bucket === "hour") return ms + HOUR;
  const d = new Date(ms);
  d.setDate(d.getDate() + 1);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const pad = (n) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function labels(ms, bucket) {
  const d = new Date(ms);
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const day = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  if (bucket === "day") return { label: day, title: day };
  if (bucket === "hour") return { label: d.getHours() === 0 ? day : clock, title: `${day} ${clock}` };
  return { label: clock, title: `${day} ${clock}` };
}

const MAX_SLOTS = 1500;

/**
 * The slots from the one holding fromMs to the one holding toMs: [{start, label, title}].
 * Groups may start outside (a bucket the range cuts); those slots are added too.
 */
export function timeSlots(fromMs, toMs, bucket, groupStarts = []) {
  const starts = new Set(groupStarts);
  let first = fromMs === null ? Math.min(...groupStarts) : floorTo(fromMs, bucket);
  let last = toMs === null ? Math.max(...groupStarts) : floorTo(toMs, bucket);
  if (!Number.isFinite(first) || !Number.isFinite(last)) return [];
  if (groupStarts.length) {
    first = Math.min(first, ...groupStarts);
    last = Math.max(last, ...groupStarts);
  }
  const slots = [];
  for (let at = first; at <= last && slots.length < MAX_SLOTS; at = next(at, bucket)) {
    starts.delete(at);
    slots.push({ start: at, ...labels(at, bucket) });
  }
  // A start the walk missed (a zone change the browser and collector see differently).
  for (const at of starts) slots.push({ start: at, ...labels(at, bucket) });
  return slots.sort((a, b) => a.start - b.start);
}

/** values[i] = pick(group) of the group whose bucket starts at slots[i] (empty: fill). */
export function alongSlots(slots, groups, pick, fill = null) {
  const byStart = new Map(groups.map((group) => [new Date(group.bucket_start).getTime(), group]));
  return slots.map((slot) => {
    const group = byStart.get(slot.start);
    return group ? pick(group) : fill;
  });
}

// Time zones and recurrence for the events screens: wall-clock input in the event's own zone,
// and the recurrence builder's RRULE (RFC 5545) both ways.

const partsCache = new Map<string, Intl.DateTimeFormat>();

function wallFormat(timeZone: string): Intl.DateTimeFormat {
  let format = partsCache.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    partsCache.set(timeZone, format);
  }
  return format;
}

function wall(ms: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(wallFormat(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second) };
}

/** How far ahead of UTC the zone's clocks are at that instant, in ms. */
function offset(ms: number, timeZone: string): number {
  const w = wall(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An instant as a `datetime-local` value on the zone's wall clock ("2026-12-01T10:00"). */
export function toZonedInput(iso: string, timeZone: string): string {
  const w = wall(new Date(iso).getTime(), timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** A `datetime-local` value read on the zone's wall clock, as an RFC 3339 UTC instant; null if empty or invalid. */
export function fromZonedInput(value: string, timeZone: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  let instant = guess - offset(guess, timeZone);
  instant = guess - offset(instant, timeZone); // the offset on the day itself (DST)
  return new Date(instant).toISOString().replace(/\.000Z$/, "Z");
}

export function timeZones(): string[] {
  const supported = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone");
  const zones = supported && supported.length > 0 ? supported : ["UTC"];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** "Tue, 6 Oct 2026, 10:00 – 12:00" on the event's clock (or the viewer's). */
export function formatRange(startIso: string, endIso: string, timeZone?: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const day = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone });
  const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone });
  const sameDay = day.format(start) === day.format(end);
  return sameDay
    ? `${day.format(start)}, ${time.format(start)} – ${time.format(end)}`
    : `${day.format(start)}, ${time.format(start)} – ${day.format(end)}, ${time.format(end)}`;
}

export function formatTime(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));
}

/** The local calendar day of an instant, as "YYYY-MM-DD" in the viewer's zone. */
export function dayKey(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// The recurrence builder: what most calendars offer, as RRULE values.
export type Frequency = "none" | "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY";
export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: Record<Weekday, string> = { MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday", SU: "Sunday" };

export interface Recurrence {
  frequency: Frequency;
  interval: number;
  weekdays: Weekday[];
  ends: "never" | "count" | "until";
  count: number;
  until: string; // YYYY-MM-DD, on the event's clock
}

export const NO_RECURRENCE: Recurrence = { frequency: "none", interval: 1, weekdays: [], ends: "count", count: 10, until: "" };

export function toRrule(r: Recurrence): string | null {
  if (r.frequency === "none") return null;
  const parts = [`FREQ=${r.frequency}`];
  if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.frequency === "WEEKLY" && r.weekdays.length > 0) parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.weekdays.includes(d)).join(",")}`);
  if (r.ends === "count") parts.push(`COUNT=${Math.max(1, r.count)}`);
  if (r.ends === "until" && r.until) parts.push(`UNTIL=${r.until.replaceAll("-", "")}`);
  return parts.join(";");
}

export function fromRrule(rule: string | null): Recurrence {
  if (!rule) return NO_RECURRENCE;
  const values = Object.fromEntries(rule.replace(/^RRULE:/i, "").split(";").map((p) => p.split("=") as [string, string]));
  const frequency = (["DAILY", "WEEKLY", "MONTHLY", "YEARLY"].includes(values.FREQ ?? "") ? values.FREQ : "WEEKLY") as Frequency;
  const until = values.UNTIL ? `${values.UNTIL.slice(0, 4)}-${values.UNTIL.slice(4, 6)}-${values.UNTIL.slice(6, 8)}` : "";
  return {
    frequency,
    interval: Number(values.INTERVAL ?? 1) || 1,
    weekdays: (values.BYDAY ?? "").split(",").filter((d): d is Weekday => (WEEKDAYS as readonly string[]).includes(d)),
    ends: values.COUNT ? "count" : values.UNTIL ? "until" : "never",
    count: Number(values.COUNT ?? 10) || 10,
    until,
  };
}

const UNIT: Record<Exclude<Frequency, "none">, [string, string]> = {
  DAILY: ["day", "days"], WEEKLY: ["week", "weeks"], MONTHLY: ["month", "months"], YEARLY: ["year", "years"],
};

/** "Every 2 weeks on Tuesday, Thursday, 10 times" */
export function describeRecurrence(rule: string | null): string {
  if (!rule) return "Does not repeat";
  const r = fromRrule(rule);
  if (r.frequency === "none") return "Does not repeat";
  const [one, many] = UNIT[r.frequency];
  let text = r.interval > 1 ? `Every ${r.interval} ${many}` : `Every ${one}`;
  if (r.frequency === "WEEKLY" && r.weekdays.length > 0) text += ` on ${r.weekdays.map((d) => WEEKDAY_NAMES[d]).join(", ")}`;
  if (r.ends === "count") text += `, ${r.count} times`;
  if (r.ends === "until" && r.until) text += `, until ${r.until}`;
  return text;
}

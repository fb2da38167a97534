// "3 minutes ago", "6 years ago", with the exact time for the title attribute.

const UNITS = [
  ["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["week", 7 * 24 * 3600],
  ["day", 24 * 3600], ["hour", 3600], ["minute", 60],
];
const relative = new Intl.RelativeTimeFormat("en", { numeric: "always" });
const exact = new Intl.DateTimeFormat("en", { dateStyle: "long", timeStyle: "short" });

export function parseDate(value) {
  // the APIs send ISO times; a time without an offset is UTC
  const text = String(value || "");
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

export function timeAgo(value, now = Date.now()) {
  const seconds = Math.round((parseDate(value).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return "just now";
}

export function exactTime(value) {
  return exact.format(parseDate(value));
}

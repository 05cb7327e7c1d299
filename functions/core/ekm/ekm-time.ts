import { ValidationError } from '../errors';

/**
 * EKM's time conventions, pure: time zones travel as IANA names with `/` written `~`
 * (`America~New_York`); Summary dates are local `YYYYMMDDhhmm` in that zone. Conversions use
 * Intl only (no process TZ), so results do not depend on the machine's time zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** `America~New_York` → `America/New_York` (EKM's wire form to IANA). */
export function fromEkmTz(value: string): string {
  return value.replace(/~/g, '/');
}

/** `America/New_York` → `America~New_York`. */
export function toEkmTz(tz: string): string {
  return tz.replace(/\//g, '~');
}

/** Wall-clock parts of an instant in a zone (month 1–12). */
export interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Sunday. */
  readonly weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall-clock parts of a UTC instant in `tz`. */
export function localParts(ms: number, tz: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? 'Sun'),
  };
}

/** Offset of `tz` from UTC at instant `ms`, in ms (positive east of Greenwich). */
export function tzOffsetMs(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The UTC instant of a local wall-clock time in `tz`. Gaps (spring forward) resolve to the later
 * offset; overlaps to the earlier instant.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const off1 = tzOffsetMs(guess, tz);
  const c1 = guess - off1;
  const off2 = tzOffsetMs(c1, tz);
  if (off1 === off2) return c1;
  const c2 = guess - off2;
  return tzOffsetMs(c2, tz) === off2 ? c2 : c1;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** UTC ms → EKM Summary date `YYYYMMDDhhmm` in `tz`. */
export function formatEkmDate(ms: number, tz: string): string {
  const p = localParts(ms, tz);
  return `${p.year}${pad(p.month)}${pad(p.day)}${pad(p.hour)}${pad(p.minute)}`;
}

/** EKM Summary date `YYYYMMDDhhmm` in `tz` → UTC ms; throws a ValidationError naming `field`. */
export function parseEkmDate(text: string, tz: string, field: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m)
    throw new ValidationError(
      field,
      `expected YYYYMMDDhhmm (12 digits, e.g. 202401150930), got ${JSON.stringify(text)}`,
    );
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59) {
    throw new ValidationError(field, `${JSON.stringify(text)} is not a real date/time (YYYYMMDDhhmm)`);
  }
  return zonedToUtc(year, month, day, hour, minute, tz);
}

/** Validate a time zone given in either form; returns the IANA name. */
export function checkTimeZone(value: string, field: string): string {
  const tz = fromEkmTz(value);
  if (!isValidTimeZone(tz)) {
    throw new ValidationError(
      field,
      `unknown time zone ${JSON.stringify(value)}; use an IANA name such as America/New_York`,
    );
  }
  return tz;
}

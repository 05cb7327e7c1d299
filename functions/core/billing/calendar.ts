/**
 * The billing calendar: a property's local dates cut into 15-minute intervals (docs/billing.md,
 * "How a month is priced"). Pure; uses only `Intl` for time-zone offsets.
 */

import { ValidationError } from '../errors';
import { INTERVAL_MS, type PeriodGrid } from './model';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
/** Zone names as the IANA database writes them, plus `UTC`; rejects bare offsets like `+05:30`. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True when `timezone` is an IANA zone name this runtime knows (`America/New_York`, `UTC`). */
export function isValidTimeZone(timezone: string): boolean {
  if (typeof timezone !== 'string' || !ZONE_NAME.test(timezone)) return false;
  try {
    formatterFor(timezone);
    return true;
  } catch {
    return false;
  }
}

/** Offset of local time from UTC at `utcMs`, in ms (New York in winter: -18,000,000). */
export function zoneOffsetMs(timezone: string, utcMs: number): number {
  const parts = formatterFor(timezone).formatToParts(new Date(utcMs));
  const n: Record<string, number> = {};
  for (const p of parts) if (p.type !== 'literal') n[p.type] = Number(p.value);
  const wall = Date.UTC(n.year ?? 0, (n.month ?? 1) - 1, n.day ?? 1, n.hour ?? 0, n.minute ?? 0, n.second ?? 0);
  return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/** Parse `YYYY-MM-DD` into days since 1970-01-01, or throw a ValidationError naming `field`. */
export function parseLocalDate(date: string, field = 'date'): number {
  const m = DATE.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(ms) || formatDay(ms / DAY_MS) !== date) {
    throw new ValidationError(field, `${JSON.stringify(date)} is not a real date; write YYYY-MM-DD, e.g. 2026-03-01`);
  }
  return ms / DAY_MS;
}

/** Days since 1970-01-01 → `YYYY-MM-DD`. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** First and last local date of a month: `monthDates('2026-02')` → 2026-02-01 … 2026-02-28. */
export function monthDates(month: string): { readonly firstDate: string; readonly lastDate: string } {
  const m = MONTH.exec(month);
  const mm = m ? Number(m[2]) : 0;
  if (!m || mm < 1 || mm > 12) {
    throw new ValidationError('month', `${JSON.stringify(month)} is not a month; write YYYY-MM, e.g. 2026-03`);
  }
  const first = Date.UTC(Number(m[1]), mm - 1, 1);
  const last = Date.UTC(Number(m[1]), mm, 0);
  return { firstDate: formatDay(first / DAY_MS), lastDate: formatDay(last / DAY_MS) };
}

/** Days in the month of `YYYY-MM` (28-31). */
export function daysInMonth(month: string): number {
  const { firstDate, lastDate } = monthDates(month);
  return parseLocalDate(lastDate) - parseLocalDate(firstDate) + 1;
}

/**
 * The first 15-minute instant whose local time is on or after local midnight starting `day`.
 * Usually local midnight itself; when midnight falls in a DST gap, the instant the day begins.
 */
function dayStartMs(timezone: string, day: number): number {
  const wall = day * DAY_MS;
  const local = (t: number) => t + zoneOffsetMs(timezone, t);
  const offsets = new Set([
    zoneOffsetMs(timezone, wall - DAY_MS),
    zoneOffsetMs(timezone, wall),
    zoneOffsetMs(timezone, wall + DAY_MS),
  ]);
  let best = Number.POSITIVE_INFINITY;
  for (const offset of offsets) {
    const t = wall - offset;
    if (local(t) >= wall && local(t - INTERVAL_MS) < wall && t < best) best = t;
  }
  if (!Number.isFinite(best)) {
    throw new ValidationError('timezone', `cannot place local midnight of ${formatDay(day)} in ${timezone}`);
  }
  return best;
}

/**
 * Build the 15-minute grid of local dates `firstDate`..`lastDate` (inclusive) in `timezone`:
 * from local midnight to local midnight, so DST days have 92 or 100 intervals. Intl is asked for the
 * offset once per UTC hour (and per interval only inside an hour where the offset changes), never
 * per interval, so a month costs ~750 offset look-ups whatever the tenants.
 */
export function buildPeriodGrid(timezone: string, firstDate: string, lastDate: string): PeriodGrid {
  if (!isValidTimeZone(timezone)) {
    throw new ValidationError(
      'timezone',
      `${JSON.stringify(timezone)} is not an IANA time zone; use a name such as America/New_York, Europe/Berlin or UTC`,
    );
  }
  const firstDay = parseLocalDate(firstDate, 'firstDate');
  const lastDay = parseLocalDate(lastDate, 'lastDate');
  if (lastDay < firstDay) {
    throw new ValidationError(
      'lastDate',
      `${lastDate} is before ${firstDate}; give the last date on or after the first`,
    );
  }
  const startMs = dayStartMs(timezone, firstDay);
  const endMs = dayStartMs(timezone, lastDay + 1);
  if (startMs % INTERVAL_MS !== 0 || endMs % INTERVAL_MS !== 0) {
    throw new ValidationError('timezone', `${timezone} is not on a 15-minute offset from UTC on these dates`);
  }
  const count = (endMs - startMs) / INTERVAL_MS;
  const localMonth = new Uint8Array(count);
  const localHour = new Uint8Array(count);
  const weekend = new Uint8Array(count);
  const dayIndex = new Uint16Array(count);
  const dates: string[] = [];
  for (let d = firstDay; d <= lastDay; d++) dates.push(formatDay(d));

  // Offsets per whole UTC hour; an hour whose two ends differ holds a transition: resolve it per interval.
  const firstHour = Math.floor(startMs / HOUR_MS) * HOUR_MS;
  let hourMs = firstHour;
  let offsetAtHour = zoneOffsetMs(timezone, hourMs);
  let offsetNextHour = zoneOffsetMs(timezone, hourMs + HOUR_MS);
  let cachedDay = Number.NaN;
  let cachedMonth = 0;
  let cachedWeekend = 0;
  for (let i = 0; i < count; i++) {
    const t = startMs + i * INTERVAL_MS;
    while (t >= hourMs + HOUR_MS) {
      hourMs += HOUR_MS;
      offsetAtHour = offsetNextHour;
      offsetNextHour = zoneOffsetMs(timezone, hourMs + HOUR_MS);
    }
    const offset = offsetAtHour === offsetNextHour ? offsetAtHour : zoneOffsetMs(timezone, t);
    const local = t + offset;
    const day = Math.floor(local / DAY_MS);
    if (day !== cachedDay) {
      cachedDay = day;
      const date = new Date(day * DAY_MS);
      cachedMonth = date.getUTCMonth();
      const dow = date.getUTCDay();
      cachedWeekend = dow === 0 || dow === 6 ? 1 : 0;
    }
    localMonth[i] = cachedMonth;
    localHour[i] = Math.floor((local - day * DAY_MS) / HOUR_MS);
    weekend[i] = cachedWeekend;
    dayIndex[i] = day - firstDay;
  }
  return { timezone, firstDate, lastDate, startMs, endMs, count, localMonth, localHour, weekend, dayIndex, dates };
}

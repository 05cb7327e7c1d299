import { RRule, rrulestr, Weekday } from 'rrule';
import { asError } from '../errors';

/** Result of checking one RRULE string: either the next firings or a message with the fix. */
export type RruleCheck =
  | { readonly ok: true; readonly dtstartMs: number; readonly next: readonly number[] }
  | { readonly ok: false; readonly message: string };

const DTSTART_UTC = /^DTSTART:(\d{8}T\d{6})Z?$/;

/**
 * Check an RFC 5545 rule the way the Trigger API needs it ("All date-times are UTC (no offset)"):
 * a `DTSTART:YYYYMMDDTHHMMSS` line (optionally ending in `Z`), no `TZID`, no offset, and an
 * `RRULE:` line that `rrule` parses. Returns the next `count` firings at or after `nowMs`.
 *
 * The rrule library computes in "floating" time that follows the process TZ when a TZID is
 * present; refusing TZID and building DTSTART from `Date.UTC` keeps every result in UTC, whatever
 * TZ the process runs with.
 */
export function checkRrule(text: string, nowMs: number, count = 5): RruleCheck {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const dtLines = lines.filter((l) => /^DTSTART/i.test(l));
  const fix = 'write it as "DTSTART:20250101T000000Z\\nRRULE:FREQ=DAILY;BYHOUR=6;BYMINUTE=0"';
  if (dtLines.length === 0)
    return { ok: false, message: `has no DTSTART line; the Trigger API needs one in UTC: ${fix}` };
  if (dtLines.length > 1) return { ok: false, message: 'has more than one DTSTART line; keep exactly one' };
  const dt = dtLines[0] ?? '';
  if (/TZID=/i.test(dt))
    return { ok: false, message: `DTSTART has a TZID (${dt}); Trigger API date-times are UTC with no offset: ${fix}` };
  const m = DTSTART_UTC.exec(dt);
  if (!m)
    return {
      ok: false,
      message: `DTSTART ${JSON.stringify(dt)} is not YYYYMMDDTHHMMSS in UTC (a local offset is not allowed): ${fix}`,
    };
  const ruleLines = lines.filter((l) => !/^DTSTART/i.test(l));
  if (!ruleLines.some((l) => /^RRULE:/i.test(l))) return { ok: false, message: `has no RRULE line: ${fix}` };
  const stamp = m[1] ?? '';
  const dtstart = new Date(
    Date.UTC(
      Number(stamp.slice(0, 4)),
      Number(stamp.slice(4, 6)) - 1,
      Number(stamp.slice(6, 8)),
      Number(stamp.slice(9, 11)),
      Number(stamp.slice(11, 13)),
      Number(stamp.slice(13, 15)),
    ),
  );
  if (Number.isNaN(dtstart.getTime()) || dtstart.toISOString().replace(/[-:]/g, '').slice(0, 15) !== stamp)
    return { ok: false, message: `DTSTART ${stamp} is not a valid date-time` };
  const freq = /(?:^|[:;])FREQ=([^;\s]*)/i.exec(ruleLines.join(';'))?.[1];
  if (freq !== undefined && !FREQUENCIES.includes(freq.toUpperCase()))
    return {
      ok: false,
      message: `FREQ=${freq} is not a frequency; use one of ${FREQUENCIES.join(', ')}`,
    };
  let rule: RRule;
  try {
    const parsed = rrulestr(ruleLines.join('\n'), { dtstart, forceset: false });
    if (!(parsed instanceof RRule)) return { ok: false, message: 'must hold a single RRULE (no RDATE/EXDATE sets)' };
    rule = parsed;
  } catch (error) {
    return { ok: false, message: `RRULE does not parse: ${asError(error).message}` };
  }
  if (rule.options.tzid) return { ok: false, message: `RRULE has a TZID; use UTC: ${fix}` };
  const found = nextFirings(rule, nowMs, count);
  if ('never' in found) {
    const line = (ruleLines.find((l) => /^RRULE:/i.test(l)) ?? '').slice('RRULE:'.length);
    return { ok: false, message: `${line} ${found.never}` };
  }
  return { ok: true, dtstartMs: dtstart.getTime(), next: found.next };
}

const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'];
const DAY_MS = 86_400_000;
/** Days examined at most when looking for the next firings (10 years of candidate days). */
const MAX_DAYS = 3660;
/** Candidate times examined at most (a SECONDLY rule has 86,400 a day). */
const MAX_CANDIDATES = 2_000_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * The next `count` firings at or after `nowMs`, with work bounded whatever DTSTART and FREQ are:
 * `rrule` walks every period from DTSTART and never stops on a rule that cannot fire (its
 * `until`/`between` bounds are checked only on occurrences), so the search never lets it do that:
 *
 * 1. A date probe: a YEARLY rule with the same date filters (BYMONTH, BYMONTHDAY, BYYEARDAY,
 *    BYWEEKNO, BYDAY) gives the days the rule can fire on at all (cheap: one period per year).
 *    No such day → "never fires" (e.g. February 30).
 * 2. DAILY and finer rules (without COUNT): each candidate day's firings are computed from
 *    BYHOUR × BYMINUTE × BYSECOND, the INTERVAL grid and BYSETPOS, at most {@link MAX_DAYS} days
 *    or {@link MAX_CANDIDATES} times ahead; a time filter the INTERVAL grid never reaches → "never fires".
 * 3. WEEKLY and coarser rules (and rules with COUNT): `rrule` itself, started one period before
 *    the first candidate day (a DTSTART shifted by whole periods keeps every later occurrence).
 */
function nextFirings(rule: RRule, nowMs: number, count: number): { next: number[] } | { never: string } {
  const o = rule.options;
  const untilMs = o.until ? o.until.getTime() : Number.POSITIVE_INFINITY;
  if (untilMs < nowMs)
    return { never: `ends (UNTIL ${iso(untilMs)}) before now (${iso(nowMs)}); it never fires again` };
  const probe = dateProbe(rule);
  const firstDay = probe ? probe(startOfDay(nowMs)) : startOfDay(nowMs);
  if (firstDay === undefined)
    return {
      never: `never fires: no calendar date matches its BYMONTH/BYMONTHDAY/BYYEARDAY/BYWEEKNO/BYDAY (e.g. BYMONTH=2;BYMONTHDAY=30); fix the date filters`,
    };
  if (firstDay > untilMs) return { never: `never fires again: its next possible date is after UNTIL ${iso(untilMs)}` };
  const next: number[] = [];
  if (o.freq >= RRule.DAILY && !o.count) {
    const unreachable = unreachableTimes(o);
    if (unreachable) return { never: unreachable };
    let day = firstDay;
    const budget = { left: MAX_CANDIDATES };
    for (let i = 0; i < MAX_DAYS && next.length < count && budget.left > 0; i++) {
      for (const t of firingsOn(o, day, budget)) {
        if (t >= nowMs && t <= untilMs && next.length < count) next.push(t);
      }
      const following = probe ? probe(day + DAY_MS) : day + DAY_MS;
      if (following === undefined || following > untilMs) break;
      day = following;
    }
  } else {
    const from = o.count ? rule : shifted(rule, Math.max(nowMs, firstDay));
    from.all((date) => {
      if (date.getTime() >= nowMs) next.push(date.getTime());
      return next.length < count;
    });
  }
  if (next.length === 0)
    return {
      never: `has no firing after now (${iso(nowMs)}) within the search bound (${Math.round(MAX_DAYS / 366)} years or ${MAX_CANDIDATES / 1e6} million candidate times); check COUNT, UNTIL, BYSETPOS and the BY filters`,
    };
  return { next };
}

/** First date (UTC midnight, ≥ `fromMs`) the rule's date filters allow; undefined when none ever. Undefined probe = every date. */
function dateProbe(rule: RRule): ((fromMs: number) => number | undefined) | undefined {
  const o = rule.options;
  const weekdays: (number | Weekday)[] = [
    ...(o.byweekday ?? []),
    // "1MO" means the first Monday of the year in a YEARLY rule but of the month in a MONTHLY
    // one: outside YEARLY rules the probe keeps the weekday only (a superset of the dates).
    ...(o.bynweekday ?? []).map(([wd, n]) => (o.freq === RRule.YEARLY ? new Weekday(wd ?? 0, n) : (wd ?? 0))),
  ];
  const monthdays = [...(o.bymonthday ?? []), ...(o.bynmonthday ?? [])];
  const hasDateFilter =
    weekdays.length > 0 || monthdays.length > 0 || (o.byyearday?.length ?? 0) > 0 || (o.byweekno?.length ?? 0) > 0;
  if (!hasDateFilter && !(o.bymonth?.length ?? 0)) return undefined;
  return (fromMs: number) => {
    const year = new Date(fromMs).getUTCFullYear();
    const probe = new RRule({
      freq: RRule.YEARLY,
      dtstart: new Date(Date.UTC(year, 0, 1)),
      ...(o.bymonth?.length ? { bymonth: o.bymonth } : {}),
      // BYMONTH alone would make rrule fill BYMONTHDAY from DTSTART (the 1st): every day instead.
      bymonthday: monthdays.length > 0 ? monthdays : hasDateFilter ? null : ALL_MONTHDAYS,
      ...(o.byyearday?.length ? { byyearday: o.byyearday } : {}),
      ...(o.byweekno?.length ? { byweekno: o.byweekno } : {}),
      ...(weekdays.length > 0 ? { byweekday: weekdays } : {}),
      wkst: o.wkst,
      byhour: 0,
      byminute: 0,
      bysecond: 0,
    });
    let first: number | undefined;
    probe.all((date) => {
      if (date.getTime() < fromMs) return true;
      first = date.getTime();
      return false;
    });
    return first;
  };
}

const ALL_MONTHDAYS = Array.from({ length: 31 }, (_, i) => i + 1);

/** The FREQ unit of a WEEKLY-or-finer rule in ms. */
function unitMs(o: RRule['options']): number {
  return [0, 0, 7 * DAY_MS, DAY_MS, 3_600_000, 60_000, 1000][o.freq] ?? DAY_MS;
}

/** Period of a WEEKLY-or-finer rule in ms (FREQ unit × INTERVAL). */
function periodMs(o: RRule['options']): number {
  return unitMs(o) * o.interval;
}

/** The rule's firings on one UTC day: BYHOUR × BYMINUTE × BYSECOND on the DTSTART + k·period grid. */
function firingsOn(o: RRule['options'], dayMs: number, budget: { left: number }): number[] {
  const start = o.dtstart.getTime();
  const period = periodMs(o);
  const unit = unitMs(o);
  const hours = [...(o.byhour?.length ? o.byhour : range(24))].sort((a, b) => a - b);
  const minutes = [...(o.byminute?.length ? o.byminute : range(60))].sort((a, b) => a - b);
  const seconds = [...(o.bysecond?.length ? o.bysecond : range(60))].sort((a, b) => a - b);
  // The day's candidate times in order, grouped by the period (day, hour, minute or second) each
  // falls in; a period counts only if it is DTSTART's plus whole INTERVALs (RFC 5545 §3.3.10), and
  // BYSETPOS picks within a period's set.
  const out: number[] = [];
  let group: number[] = [];
  let groupKey = Number.NaN;
  const flush = () => {
    if (group.length > 0 && (groupKey * unit - Math.floor(start / unit) * unit) % period === 0)
      for (const t of o.bysetpos?.length ? pick(group, o.bysetpos) : group) if (t >= start) out.push(t);
    group = [];
  };
  for (const h of hours)
    for (const m of minutes)
      for (const s of seconds) {
        const t = dayMs + h * 3_600_000 + m * 60_000 + s * 1000;
        const key = Math.floor(t / unit);
        if (key !== groupKey) {
          flush();
          groupKey = key;
        }
        group.push(t);
      }
  flush();
  budget.left -= hours.length * minutes.length * seconds.length;
  return out;
}

/** BYSETPOS: the n-th (1-based; negative from the end) members of one period's sorted set. */
function pick(set: readonly number[], positions: readonly number[]): number[] {
  const chosen = new Set<number>();
  for (const p of positions) {
    const t = p > 0 ? set[p - 1] : set[set.length + p];
    if (t !== undefined) chosen.add(t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** A "never fires" message when the INTERVAL grid never lands on the BYHOUR/BYMINUTE/BYSECOND times. */
function unreachableTimes(o: RRule['options']): string | undefined {
  if (o.freq === RRule.DAILY) return undefined;
  // Periods (hours, minutes or seconds) of a day reachable from DTSTART's: every gcd(INTERVAL, per-day)-th.
  const unitSec = unitMs(o) / 1000;
  const g = gcd(o.interval, 86_400 / unitSec);
  const startUnit = Math.floor((o.dtstart.getTime() % DAY_MS) / 1000 / unitSec);
  const hours = o.byhour?.length ? o.byhour : range(24);
  const minutes = o.byminute?.length ? o.byminute : range(60);
  const seconds = o.bysecond?.length ? o.bysecond : range(60);
  for (const h of hours)
    for (const m of minutes)
      for (const s of seconds) {
        const unit = Math.floor((h * 3600 + m * 60 + s) / unitSec);
        if ((((unit - startUnit) % g) + g) % g === 0) return undefined;
      }
  return `never fires: counting INTERVAL=${o.interval} ${FREQUENCIES[o.freq]?.toLowerCase()} steps from DTSTART never lands on its BYHOUR/BYMINUTE/BYSECOND times; fix INTERVAL or DTSTART`;
}

/** The rule with DTSTART moved forward by whole periods to at least one period before `targetMs`. */
function shifted(rule: RRule, targetMs: number): RRule {
  const o = rule.options;
  const orig = rule.origOptions;
  const start = o.dtstart;
  let dtstart: Date | undefined;
  if (o.freq === RRule.YEARLY || o.freq === RRule.MONTHLY) {
    const stepMonths = o.interval * (o.freq === RRule.YEARLY ? 12 : 1);
    const target = new Date(targetMs);
    const months =
      (target.getUTCFullYear() - start.getUTCFullYear()) * 12 + (target.getUTCMonth() - start.getUTCMonth());
    const k = Math.floor(months / stepMonths) - 1;
    if (k > 0)
      dtstart =
        o.freq === RRule.YEARLY
          ? new Date(Date.UTC(start.getUTCFullYear() + k * o.interval, 0, 1))
          : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + k * stepMonths, 1));
  } else {
    const period = periodMs(o);
    const k = Math.floor((targetMs - start.getTime()) / period) - 1;
    if (k > 0) dtstart = new Date(start.getTime() + k * period);
  }
  if (!dtstart) return rule;
  // What rrule derived from the original DTSTART (time of day, weekday, day of month) stays.
  const noDateFilter =
    orig.byweekno == null && orig.byyearday == null && orig.bymonthday == null && orig.byweekday == null;
  return new RRule({
    ...orig,
    dtstart,
    ...(orig.byhour == null && o.byhour?.length ? { byhour: o.byhour } : {}),
    ...(orig.byminute == null && o.byminute?.length ? { byminute: o.byminute } : {}),
    ...(orig.bysecond == null && o.bysecond?.length ? { bysecond: o.bysecond } : {}),
    ...(noDateFilter && o.freq === RRule.YEARLY ? { bymonth: o.bymonth, bymonthday: o.bymonthday } : {}),
    ...(noDateFilter && o.freq === RRule.MONTHLY ? { bymonthday: o.bymonthday } : {}),
    ...(noDateFilter && o.freq === RRule.WEEKLY ? { byweekday: o.byweekday } : {}),
  });
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

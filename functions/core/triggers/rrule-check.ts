import { RRule, rrulestr } from 'rrule';

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
  let rule: RRule;
  try {
    const parsed = rrulestr(ruleLines.join('\n'), { dtstart, forceset: false });
    if (!(parsed instanceof RRule)) return { ok: false, message: 'must hold a single RRULE (no RDATE/EXDATE sets)' };
    rule = parsed;
  } catch (error) {
    return { ok: false, message: `RRULE does not parse: ${(error as Error).message}` };
  }
  if (rule.options.tzid) return { ok: false, message: `RRULE has a TZID; use UTC: ${fix}` };
  // One pass over the occurrences (rrule walks from DTSTART on every `after` call, so five
  // `after` calls would walk the whole history five times).
  const next: number[] = [];
  rule.all((date) => {
    if (date.getTime() >= nowMs) next.push(date.getTime());
    return next.length < count;
  });
  return { ok: true, dtstartMs: dtstart.getTime(), next };
}

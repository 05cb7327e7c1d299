import { type RRule, rrulestr } from 'rrule';
import { checkRrule } from '../../functions/core/triggers/rrule-check';

// Computing the next firings is bounded in time and work: it starts from now, not from DTSTART,
// and a rule that can never fire is an error naming it (rrule alone walks such a rule forever).
const NOW = Date.UTC(2026, 11, 3, 3, 40, 17);

function timed(rule: string) {
  const started = performance.now();
  const check = checkRrule(rule, NOW);
  return { check, ms: performance.now() - started };
}

describe('checkRrule bounds', () => {
  it.each([
    ['FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', '20250101T000000Z', /never fires: no calendar date matches/],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', '20250101T000000Z', /never fires: no calendar date matches/],
    ['FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31', '20250101T000000Z', /never fires: no calendar date matches/],
    ['FREQ=SECONDLY;BYMONTH=11;BYMONTHDAY=31', '20250101T000000Z', /never fires: no calendar date matches/],
    ['FREQ=HOURLY;INTERVAL=2;BYHOUR=7', '20250101T000000Z', /never fires: counting INTERVAL=2 hourly steps/],
    ['FREQ=MINUTELY;INTERVAL=2;BYMINUTE=1', '20200101T000000Z', /never fires: counting INTERVAL=2 minutely steps/],
    ['FREQ=DAILY;UNTIL=20250201T000000Z', '20250101T000000Z', /UNTIL 2025-02-01T00:00:00Z.*never fires again/],
    ['FREQ=DAILY;COUNT=3', '20250101T000000Z', /has no firing after now/],
    ['FREQ=DAILY;BYHOUR=6;BYSETPOS=2', '20250101T000000Z', /has no firing after now .* within the search bound/],
    ['FREQ=SECONDLY;BYSETPOS=2', '20250101T000000Z', /has no firing after now .* within the search bound/],
  ])('fails fast when %s (DTSTART %s) can never fire, naming the rule', (rrule, dtstart, message) => {
    // Act
    const { check, ms } = timed(`DTSTART:${dtstart}\nRRULE:${rrule}`);
    // Assess
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toMatch(message);
    expect(!check.ok && check.message).toContain(rrule);
    expect(ms).toBeLessThan(5000);
  });

  it.each([
    ['FREQ=MINUTELY', '20200101T000000Z', ['2026-12-03T03:41:00Z', '2026-12-03T03:42:00Z']],
    ['FREQ=SECONDLY', '20250101T000000Z', ['2026-12-03T03:40:17Z', '2026-12-03T03:40:18Z']],
    ['FREQ=HOURLY', '20000101T000000Z', ['2026-12-03T04:00:00Z', '2026-12-03T05:00:00Z']],
    ['FREQ=HOURLY;INTERVAL=5;BYMINUTE=0', '20000101T000000Z', ['2026-12-03T08:00:00Z', '2026-12-03T13:00:00Z']],
    [
      'FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;BYMINUTE=0,30',
      '20200101T000000Z',
      ['2028-02-29T00:00:00Z', '2028-02-29T00:30:00Z', '2032-02-29T00:00:00Z'],
    ],
    ['FREQ=YEARLY', '20000229T060000Z', ['2028-02-29T06:00:00Z', '2032-02-29T06:00:00Z']],
    ['FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=6', '19990104T060000Z', ['2026-12-04T06:00:00Z', '2026-12-07T06:00:00Z']],
    [
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      '19900101T060000Z',
      ['2026-12-31T06:00:00Z', '2027-01-29T06:00:00Z'],
    ],
  ])('answers %s from DTSTART %s at once, starting from now', (rrule, dtstart, first) => {
    // Act
    const { check, ms } = timed(`DTSTART:${dtstart}\nRRULE:${rrule}`);
    // Assess
    expect(check.ok).toBe(true);
    const next = check.ok ? check.next.map((t) => new Date(t).toISOString().replace('.000Z', 'Z')) : [];
    expect(next).toHaveLength(5);
    expect(next.slice(0, first.length)).toEqual(first);
    expect(ms).toBeLessThan(5000);
  });

  it('agrees with rrule itself on rules rrule can walk (DTSTART close to now)', () => {
    // Prepare: a grid of frequencies, intervals that divide a day, and BY filters.
    const rules: string[] = [];
    for (const freq of ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY'])
      for (const extra of [
        '',
        ';BYHOUR=6,18',
        ';BYMINUTE=15,45',
        ';BYDAY=MO,FR',
        ';BYMONTHDAY=1,15,-1',
        ';BYMONTH=1,3,12',
        ';BYDAY=MO;BYHOUR=0,12;BYMINUTE=0',
        ';BYSETPOS=1;BYDAY=MO,TU',
        ';BYYEARDAY=1,100,-1',
      ])
        for (const interval of [1, 2, 3])
          for (const dtstart of ['20261001T063000Z', '20261203T034000Z', '20261115T231559Z']) {
            if (freq === 'MINUTELY' && interval === 1 && extra === '') continue;
            rules.push(`DTSTART:${dtstart}\nRRULE:FREQ=${freq};INTERVAL=${interval}${extra}`);
          }
    for (const text of rules) {
      const check = checkRrule(text, NOW);
      if (!check.ok) {
        // Only a rule whose INTERVAL grid misses its BY filters may be refused; rrule would spin on it.
        expect(check.message).toMatch(/never fires: counting INTERVAL|has no firing after now/);
        continue;
      }
      const [dt, rr] = text.split('\n') as [string, string];
      const s = dt.slice(8);
      const dtstart = new Date(
        Date.UTC(
          +s.slice(0, 4),
          +s.slice(4, 6) - 1,
          +s.slice(6, 8),
          +s.slice(9, 11),
          +s.slice(11, 13),
          +s.slice(13, 15),
        ),
      );
      const rule = rrulestr(rr, { dtstart, forceset: false }) as RRule;
      const want: number[] = [];
      rule.all((d) => {
        if (d.getTime() >= NOW) want.push(d.getTime());
        return want.length < 5;
      });
      expect({ text, next: check.next }).toEqual({ text, next: want });
    }
  });
});

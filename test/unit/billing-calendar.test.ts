import { buildPeriodGrid, isValidTimeZone, monthDates } from '../../functions/core/billing/calendar';
import { INTERVAL_MS } from '../../functions/core/billing/model';
import { ValidationError } from '../../functions/core/errors';

/** Intervals per local date of a grid. */
function perDay(grid: ReturnType<typeof buildPeriodGrid>): number[] {
  const counts = grid.dates.map(() => 0);
  for (let i = 0; i < grid.count; i++)
    counts[grid.dayIndex[i] as number] = (counts[grid.dayIndex[i] as number] ?? 0) + 1;
  return counts;
}

describe('monthDates', () => {
  it.each([
    ['2026-03', '2026-03-01', '2026-03-31'],
    ['2024-02', '2024-02-01', '2024-02-29'],
    ['2026-02', '2026-02-01', '2026-02-28'],
    ['2026-12', '2026-12-01', '2026-12-31'],
  ])('gives the first and last date of %s', (month, first, last) => {
    // Act
    const dates = monthDates(month);
    // Assess
    expect(dates).toEqual({ firstDate: first, lastDate: last });
  });

  it.each(['2026-13', '2026-3', 'March'])('fails when the month is %s', (month) => {
    // Act / Assess
    expect(() => monthDates(month)).toThrow(ValidationError);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['America/New_York', true],
    ['UTC', true],
    ['Asia/Kolkata', true],
    ['America/Argentina/Buenos_Aires', true],
    ['Mars/Olympus', false],
    ['+05:30', false],
    ['', false],
  ])('says %s is %s', (zone, valid) => {
    // Act / Assess
    expect(isValidTimeZone(zone)).toBe(valid);
  });
});

describe('buildPeriodGrid', () => {
  it('has 92 intervals on the March DST day in New York and 96 on the others', () => {
    // Act
    const grid = buildPeriodGrid('America/New_York', '2026-03-01', '2026-03-31');
    // Assess
    const days = perDay(grid);
    expect(days[7]).toBe(92); // Sunday 8 March 2026
    expect(days.filter((d) => d === 96)).toHaveLength(30);
    expect(grid.count).toBe(31 * 96 - 4);
    expect(grid.startMs).toBe(Date.parse('2026-03-01T05:00:00Z'));
    expect(grid.endMs).toBe(Date.parse('2026-04-01T04:00:00Z'));
    // 02:00-02:59 does not exist on 8 March: the hours go 0, 1, 3.
    const first = days.slice(0, 7).reduce((a, b) => a + b, 0);
    const hours = Array.from(grid.localHour.subarray(first, first + 16));
    expect(hours).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4, 4, 4]);
  });

  it('has 100 intervals on the November DST day in New York, hour 1 twice', () => {
    // Act
    const grid = buildPeriodGrid('America/New_York', '2026-11-01', '2026-11-30');
    // Assess
    const days = perDay(grid);
    expect(days[0]).toBe(100); // Sunday 1 November 2026
    expect(grid.count).toBe(30 * 96 + 4);
    expect(Array.from(grid.localHour.subarray(0, 16))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(grid.weekend[0]).toBe(1);
    expect(grid.weekend[100]).toBe(0);
  });

  it('follows a zone with a 30-minute offset (Asia/Kolkata, UTC+5:30)', () => {
    // Act
    const grid = buildPeriodGrid('Asia/Kolkata', '2026-01-01', '2026-01-02');
    // Assess
    expect(grid.startMs).toBe(Date.parse('2025-12-31T18:30:00Z'));
    expect(grid.count).toBe(192);
    expect(grid.localHour[0]).toBe(0);
    expect(grid.localHour[4]).toBe(1);
    expect(grid.localMonth[0]).toBe(0);
    expect(grid.dayIndex[96]).toBe(1);
  });

  it('handles a 30-minute DST shift (Australia/Lord_Howe, 5 April 2026)', () => {
    // Act
    const grid = buildPeriodGrid('Australia/Lord_Howe', '2026-04-05', '2026-04-05');
    // Assess: the day is 24.5 hours long.
    expect(grid.count).toBe(98);
  });

  it('starts a day at 01:00 when DST skips midnight (America/Santiago, 6 September 2026)', () => {
    // Act
    const grid = buildPeriodGrid('America/Santiago', '2026-09-05', '2026-09-07');
    // Assess
    expect(perDay(grid)).toEqual([96, 92, 96]);
    expect(grid.localHour[96]).toBe(1);
  });

  it('is 96 intervals a day in UTC with local fields equal to UTC fields', () => {
    // Act
    const grid = buildPeriodGrid('UTC', '2018-01-01', '2018-12-31');
    // Assess
    expect(grid.count).toBe(365 * 96);
    expect(grid.dates).toHaveLength(365);
    for (const i of [0, 5000, 20000, 35039]) {
      const d = new Date(grid.startMs + i * INTERVAL_MS);
      expect(grid.localHour[i]).toBe(d.getUTCHours());
      expect(grid.localMonth[i]).toBe(d.getUTCMonth());
      expect(grid.weekend[i]).toBe(d.getUTCDay() % 6 === 0 ? 1 : 0);
    }
  });

  it.each([
    ['Mars/Olympus', '2026-03-01', '2026-03-31', 'timezone'],
    ['UTC', '2026-02-30', '2026-03-31', 'firstDate'],
    ['UTC', '2026-03-31', '2026-03-01', 'lastDate'],
  ])('fails when given %s %s..%s, naming %s', (zone, first, last, field) => {
    // Act
    let error: unknown;
    try {
      buildPeriodGrid(zone, first, last);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('names the bad zone and how to fix it', () => {
    // Act / Assess
    expect(() => buildPeriodGrid('Europe/Atlantis', '2026-03-01', '2026-03-31')).toThrow(
      /"Europe\/Atlantis" is not an IANA time zone; use a name such as America\/New_York/,
    );
  });

  it('gives the month of a European DST change its 25-hour day (speed is measured by the billing benchmark)', () => {
    // Act
    const grid = buildPeriodGrid('Europe/Berlin', '2026-10-01', '2026-10-31');
    // Assess: clocks go back on Sunday 25 October, so that day has 100 intervals
    expect(grid.count).toBe(31 * 96 + 4);
    expect(grid.dates).toHaveLength(31);
  });
});

import fc from 'fast-check';
import type { InvoiceLine, LineKind } from '../../functions/core/billing/model';
import {
  minorDigits,
  roundHalfAwayFromZero,
  splitLargestRemainder,
  taxLines,
  toMinor,
} from '../../functions/core/billing/money';

function line(kind: LineKind, amount: number): InvoiceLine {
  return { kind, description: kind, quantity: 1, unit: 'month', rate: amount, amount, amountMinor: toMinor(amount, 2) };
}

describe('roundHalfAwayFromZero', () => {
  it.each([
    [1.005, 2, 1.01],
    [1.015, 2, 1.02],
    [2.675, 2, 2.68],
    [1.0049999, 2, 1],
    [-1.005, 2, -1.01],
    [0.125, 2, 0.13],
    [-0.125, 2, -0.13],
    [2.5, 0, 3],
    [-2.5, 0, -3],
    [0.1 + 0.2, 2, 0.3],
    [1234567.895, 2, 1234567.9],
    [-0.004, 2, 0],
    [1.23456, 3, 1.235],
    [1e21, 2, 1e21],
  ])('rounds %f to %i digits as %f', (amount, digits, expected) => {
    // Act
    const rounded = roundHalfAwayFromZero(amount, digits);
    // Assess
    expect(rounded).toBe(expected);
    expect(Object.is(rounded, -0)).toBe(false);
  });

  it('fails when the amount is not finite', () => {
    // Act / Assess
    expect(() => roundHalfAwayFromZero(Number.NaN, 2)).toThrow(RangeError);
  });
});

describe('toMinor', () => {
  it.each([
    [1.005, 2, 101],
    [-1.005, 2, -101],
    [43.184902, 2, 4318],
    [1234.5, 0, 1235],
    [0.0005, 3, 1],
  ])('turns %f into %i minor units at %i digits', (amount, digits, expected) => {
    // Act / Assess
    expect(toMinor(amount, digits)).toBe(expected);
  });
});

describe('minorDigits', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
  ])('gives %s %i digits', (currency, digits) => {
    // Act / Assess
    expect(minorDigits(currency)).toBe(digits);
  });

  it('fails when the code is not ISO 4217', () => {
    // Act / Assess
    expect(() => minorDigits('usd')).toThrow(/not an ISO 4217 code/);
  });
});

describe('taxLines', () => {
  it('computes each tax once on the sum of the rounded lines it applies to', () => {
    // Prepare: three lines of 0.333… each round to 0.33; the base is 0.99, not 1.00.
    const lines = [line('energy', 1 / 3), line('energy', 1 / 3), line('fixed', 1 / 3)];
    // Act
    const [all, energyOnly] = taxLines(lines, [
      { name: 'Sales tax', percent: 50 },
      { name: 'Energy levy', percent: 10, appliesTo: ['energy'] },
    ]);
    // Assess
    expect(all?.quantity).toBe(0.99);
    expect(all?.amountMinor).toBe(50); // 49.5 cents → 50
    expect(energyOnly?.quantity).toBe(0.66);
    expect(energyOnly?.amountMinor).toBe(7); // 6.6 cents → 7
    expect(all?.kind).toBe('tax');
    expect(all?.rate).toBe(50);
  });

  it('never taxes tax lines unless asked to', () => {
    // Prepare
    const lines = [line('energy', 10), { ...line('tax', 1), kind: 'tax' as const }];
    // Act
    const [tax] = taxLines(lines, [{ name: 'VAT', percent: 20 }]);
    // Assess
    expect(tax?.amountMinor).toBe(200);
  });

  it('keeps lines plus taxes equal to the total for any lines and rates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -500, max: 5000, noNaN: true }), { maxLength: 20 }),
        fc.array(fc.double({ min: 0, max: 30, noNaN: true }), { maxLength: 4 }),
        (amounts, percents) => {
          // Prepare
          const lines = amounts.map((a, i) => line(i % 3 === 0 ? 'fixed' : 'energy', a));
          // Act
          const taxes = taxLines(
            lines,
            percents.map((percent, i) => ({
              name: `t${i}`,
              percent,
              ...(i % 2 ? { appliesTo: ['energy' as const] } : {}),
            })),
          );
          const total = [...lines, ...taxes].reduce((s, l) => s + l.amountMinor, 0);
          // Assess: every amountMinor is an integer and each tax is the rounded percent of its rounded base.
          expect(Number.isInteger(total)).toBe(true);
          taxes.forEach((t, i) => {
            const base = lines
              .filter((l) => (i % 2 ? l.kind === 'energy' : true))
              .reduce((s, l) => s + l.amountMinor, 0);
            expect(t.amountMinor).toBe(toMinor((base * (percents[i] as number)) / 100, 0));
          });
          expect(total).toBe(
            lines.reduce((s, l) => s + l.amountMinor, 0) + taxes.reduce((s, t) => s + t.amountMinor, 0),
          );
          // Rounding once per line keeps the total within half a cent per line of the exact amounts.
          const exact = [...lines, ...taxes].reduce((s, l) => s + l.amount * 100, 0);
          expect(Math.abs(total - exact)).toBeLessThanOrEqual(0.5 * (lines.length + taxes.length) + 1e-6);
        },
      ),
    );
  });
});

describe('splitLargestRemainder', () => {
  it.each([
    [100, [1, 1, 1], [34, 33, 33]],
    [-100, [1, 1, 1], [-34, -33, -33]],
    [10, [0, 0], [5, 5]],
    [7, [0, 3, 0], [0, 7, 0]],
    [1, [1, 1], [1, 0]],
    [0, [2, 5], [0, 0]],
    [1000, [0.2, 0.3, 0.5], [200, 300, 500]],
    [101, [50, 50, 1], [50, 50, 1]],
  ])('splits %i by %j as %j', (total, weights, expected) => {
    // Act / Assess
    expect(splitLargestRemainder(total, weights)).toEqual(expected);
  });

  it.each([
    [10.5, [1]],
    [10, [-1, 2]],
    [10, []],
  ])('fails when given %f and %j', (total, weights) => {
    // Act / Assess
    expect(() => splitLargestRemainder(total, weights)).toThrow(RangeError);
  });

  it('always adds up to the cent and stays within one cent of the exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (total, weights) => {
          // Act
          const shares = splitLargestRemainder(total, weights);
          // Assess
          expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          shares.forEach((s, i) => {
            expect(Number.isInteger(s)).toBe(true);
            const exact = sum > 0 ? (total * (weights[i] as number)) / sum : total / weights.length;
            expect(Math.abs(s - exact)).toBeLessThan(1 + 1e-6);
          });
        },
      ),
    );
  });
});

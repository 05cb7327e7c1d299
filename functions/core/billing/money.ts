/**
 * Money in minor units (docs/billing.md, "Money and rounding"). The one place amounts are rounded:
 * every line is rounded once, half away from zero; totals and taxes are sums of rounded lines.
 */

import { ValidationError } from '../errors';
import type { InvoiceLine, LineKind } from './model';

/** Minor-unit digits of currencies whose digits are not 2 (ISO 4217). */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/** Digits after the decimal point of `currency` (ISO 4217 code): USD and EUR 2, JPY 0, KWD 3. */
export function minorDigits(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new ValidationError('currency', `${JSON.stringify(currency)} is not an ISO 4217 code; write e.g. USD`);
  }
  return MINOR_DIGITS[currency] ?? 2;
}

/**
 * Shift the decimal point of `value` by `digits` through its shortest 15-significant-digit decimal
 * form, so a value meant as 1.005 (stored as 1.00499999999999989...) becomes exactly 100.5 rather
 * than 100.49999999999999. Fifteen digits is what a double always holds exactly.
 */
function shiftDecimal(value: number, digits: number): number {
  const [mantissa, exponent = '0'] = value.toPrecision(15).split('e');
  return Number(`${mantissa}e${Number(exponent) + digits}`);
}

/**
 * Round `amount` to `digits` decimals, halves away from zero (1.005 → 1.01, -2.5 → -3 at 0 digits).
 * Binary float artefacts are removed first by reading the amount at 15 significant digits.
 */
export function roundHalfAwayFromZero(amount: number, digits: number): number {
  if (!Number.isFinite(amount)) throw new RangeError(`cannot round ${amount}`);
  const scaled = shiftDecimal(Math.abs(amount), digits);
  const rounded = Math.floor(scaled + 0.5);
  const result = shiftDecimal(rounded, -digits);
  return amount < 0 && result !== 0 ? -result : result;
}

/** `amount` in currency units → integer minor units, rounded half away from zero (1.005 USD → 101). */
export function toMinor(amount: number, digits: number): number {
  if (!Number.isFinite(amount)) throw new RangeError(`cannot round ${amount}`);
  const minor = Math.floor(shiftDecimal(Math.abs(amount), digits) + 0.5);
  return amount < 0 && minor !== 0 ? -minor : minor;
}

/** A tax or levy charged as a percentage of some invoice lines. */
export interface Tax {
  readonly name: string;
  /** Percent of the base (8.875 for 8.875 %). */
  readonly percent: number;
  /** Kinds of line it applies to; default every kind except `tax`. */
  readonly appliesTo?: readonly LineKind[];
}

/**
 * One `tax` line per tax, each computed once on the sum of the already-rounded lines it applies to
 * (never per line, so no rounding is repeated): base = Σ amountMinor, tax = round(base × percent).
 * Taxes never apply to the tax lines made in the same call. `digits`: the currency's minor digits.
 */
export function taxLines(lines: readonly InvoiceLine[], taxes: readonly Tax[], digits = 2): InvoiceLine[] {
  const unit = 10 ** digits;
  return taxes.map((tax, i) => {
    if (!Number.isFinite(tax.percent)) {
      throw new ValidationError(`taxes[${i}].percent`, `expected a number such as 8.875, got ${tax.percent}`);
    }
    const kinds = tax.appliesTo;
    let baseMinor = 0;
    for (const line of lines) {
      if (kinds ? kinds.includes(line.kind) : line.kind !== 'tax') baseMinor += line.amountMinor;
    }
    const exactMinor = (baseMinor * tax.percent) / 100;
    return {
      kind: 'tax',
      description: `${tax.name} (${tax.percent}% of ${(baseMinor / unit).toFixed(digits)})`,
      quantity: baseMinor / unit,
      unit: '%',
      rate: tax.percent,
      amount: exactMinor / unit,
      amountMinor: toMinor(exactMinor, 0),
    };
  });
}

/**
 * Split `totalMinor` into integer shares proportional to `weights` that add up exactly to the total
 * (largest remainder method). Ties go to the earlier weight; all-zero weights split equally; a
 * negative total (a credit) is split as its magnitude and negated. Weights must be ≥ 0.
 */
export function splitLargestRemainder(totalMinor: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(totalMinor)) {
    throw new RangeError(`splitLargestRemainder: total must be an integer of minor units, got ${totalMinor}`);
  }
  if (weights.length === 0) {
    if (totalMinor === 0) return [];
    throw new RangeError('splitLargestRemainder: no weights to split a non-zero total over');
  }
  for (const w of weights) {
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`splitLargestRemainder: weight ${w} is not ≥ 0`);
  }
  const sign = totalMinor < 0 ? -1 : 1;
  const total = Math.abs(totalMinor);
  const sum = weights.reduce((a, b) => a + b, 0);
  const ws = sum > 0 ? weights : weights.map(() => 1);
  const wSum = sum > 0 ? sum : weights.length;
  const shares = ws.map((w) => Math.floor((total * w) / wSum));
  const left = total - shares.reduce((a, b) => a + b, 0);
  // Highest fractional part first; ties by index, so the result never depends on sort stability.
  const order = ws
    .map((w, i) => ({ i, frac: (total * w) / wSum - (shares[i] ?? 0) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; k < left; k++) {
    const slot = order[k % order.length];
    if (slot) shares[slot.i] = (shares[slot.i] ?? 0) + 1;
  }
  return shares.map((s) => (s === 0 ? 0 : sign * s));
}

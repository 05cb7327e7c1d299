/**
 * The one grammar for the decimal text EKM sends as field values (`"12345.6"`), used by the realtime
 * parser, the columnar realtime parser and the lake row mapping (which also checks edge batches):
 *
 *     decimal = [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
 *
 * Surrounding whitespace (what `String.prototype.trim` removes) is ignored. Text that matches but
 * does not fit a double (`"1e400"`) is out of range: refused, never ±Infinity. Nothing else is a
 * number: no hex, binary or octal literals (`0x1F`, `0b1`, `0o7`), no `Infinity`, no `1_000`.
 */

/** The grammar as a regular expression, over trimmed text (the scanners below accept exactly this). */
export const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Exact powers of ten (10^0..10^15): a decimal with at most 15 digits divided by one is correctly rounded. */
export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * True when `text` as given (no whitespace) matches the grammar. A hand-written scan of
 * {@link DECIMAL_TEXT} (EKM sends ~60 such strings per read); the table tests hold the two equal.
 */
export function isDecimalText(text: string): boolean {
  const n = text.length;
  let i = 0;
  let c = n > 0 ? text.charCodeAt(0) : 0;
  if (c === 43 || c === 45) c = ++i < n ? text.charCodeAt(i) : 0;
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = ++i < n ? text.charCodeAt(i) : 0;
  }
  if (c === 46) {
    c = ++i < n ? text.charCodeAt(i) : 0;
    while (c >= 48 && c <= 57) {
      digits++;
      c = ++i < n ? text.charCodeAt(i) : 0;
    }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = ++i < n ? text.charCodeAt(i) : 0;
    if (c === 43 || c === 45) c = ++i < n ? text.charCodeAt(i) : 0;
    let exp = 0;
    while (c >= 48 && c <= 57) {
      exp++;
      c = ++i < n ? text.charCodeAt(i) : 0;
    }
    if (exp === 0) return false;
  }
  return i === n;
}

/**
 * Plain decimal text in `s[from..to)` (`-?digits[.digits]`, at most 15 digits) → the number, else
 * NaN (the caller then takes {@link parseDecimal}). Exact: the digits form an integer below 2^53 and
 * the power of ten is exact, so one IEEE division is correctly rounded, which is what `Number(text)`
 * returns (Clinger's fast path). EKM sends nearly every value this way.
 */
export function plainDecimalIn(s: string, from: number, to: number): number {
  const len = to - from;
  if (len <= 0 || len > 17) return Number.NaN;
  let i = from;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  let int = 0;
  let digits = 0;
  let frac = -1;
  for (; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      int = int * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const v = frac > 0 ? int / (POW10[frac] as number) : int;
  return neg ? -v : v;
}

/** {@link plainDecimalIn} over the whole text, `undefined` instead of NaN. */
export function plainDecimal(text: string): number | undefined {
  const n = plainDecimalIn(text, 0, text.length);
  return Number.isNaN(n) ? undefined : n;
}

/** Decimal text → a finite number, or `undefined` when it is not decimal text or out of range. */
export function parseDecimal(text: string): number | undefined {
  const fast = plainDecimalIn(text, 0, text.length);
  if (!Number.isNaN(fast)) return fast;
  let t = text;
  if (!isDecimalText(t)) {
    t = text.trim();
    if (t === text || !isDecimalText(t)) return undefined;
  }
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** True for decimal text whose value does not fit a double (`"1e400"`): out of range, not malformed. */
export function isOutOfRangeDecimal(text: string): boolean {
  const t = text.trim();
  return isDecimalText(t) && !Number.isFinite(Number(t));
}

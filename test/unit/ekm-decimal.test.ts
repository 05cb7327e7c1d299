import {
  DECIMAL_TEXT,
  isDecimalText,
  isOutOfRangeDecimal,
  parseDecimal,
  plainDecimal,
  plainDecimalIn,
} from '../../functions/core/ekm/decimal';

describe('EKM decimal grammar', () => {
  it.each([
    ['0', 0],
    ['12345.6', 12345.6],
    ['-0.5', -0.5],
    ['+5', 5],
    ['1.', 1],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['00012', 12],
    ['1e5', 100000],
    ['1.5E-3', 0.0015],
    ['  42.1 ', 42.1],
    ['\t7\n', 7],
    ['123456789012345', 123456789012345],
    ['1234567890123456789', 1234567890123456800],
    ['0.1', 0.1],
    ['-0', -0],
  ])('reads %p as %p', (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
    expect(parseDecimal(text)).toBe(Number(text.trim()));
  });

  it.each([
    [''],
    [' '],
    ['-'],
    ['+'],
    ['.'],
    ['e5'],
    ['1e'],
    ['1e+'],
    ['1.2.3'],
    ['0x1F'],
    ['0b1'],
    ['0o7'],
    ['0B1'],
    ['Infinity'],
    ['-Infinity'],
    ['NaN'],
    ['1_000'],
    ['12 34'],
    ['1,5'],
    ['PERR.NR'],
    ['--1'],
  ])('refuses %p (not decimal text)', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
    expect(isOutOfRangeDecimal(text)).toBe(false);
  });

  it.each([['1e400'], ['-1e400'], [` ${'9'.repeat(400)} `]])('refuses %p as out of range, never ±Infinity', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
    expect(isOutOfRangeDecimal(text)).toBe(true);
  });

  it.each([
    ['1'],
    ['-1.5'],
    ['+.5e-3'],
    ['1.'],
    ['.'],
    ['1e'],
    [' 1'],
    ['0x1'],
    ['1e+5'],
    ['abc'],
    [''],
    ['-'],
    ['5E5'],
  ])('scans %p exactly as the regular expression does', (text) => {
    expect(isDecimalText(text)).toBe(DECIMAL_TEXT.test(text));
  });

  it.each([
    ['12345.6', 12345.6],
    ['-3', -3],
    ['123456789012345', 123456789012345],
  ])('takes the exact fast path for plain %p', (text, expected) => {
    expect(plainDecimal(text)).toBe(expected);
    expect(plainDecimalIn(`x${text}y`, 1, text.length + 1)).toBe(expected);
  });

  it.each([['1e5'], ['+1'], ['1234567890123456'], [' 1'], ['']])(
    'leaves %p to the full grammar (not plain)',
    (text) => {
      expect(plainDecimal(text)).toBeUndefined();
    },
  );

  it('reads every 1..3-digit decimal with 0..3 fraction digits as Number does', () => {
    for (let i = 0; i < 1000; i += 7)
      for (const frac of ['', '.', '.0', '.05', '.123']) {
        const text = `${i}${frac}`;
        expect(parseDecimal(text)).toBe(Number(text));
        expect(parseDecimal(`-${text}`)).toBe(Number(`-${text}`));
      }
  });
});

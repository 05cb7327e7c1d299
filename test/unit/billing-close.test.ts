import {
  adjustmentLine,
  canonicalJson,
  contentHash,
  creditNoteInvoice,
  documentNumber,
  numberPrefix,
  previousMonth,
  sequenceOfNumber,
  withLines,
} from '../../functions/core/billing/close';
import { invoiceSample } from '../fixtures/billing/invoice-sample';

describe('monthly close core', () => {
  it('writes the same bytes for the same value whatever the key order', () => {
    const a = canonicalJson({ b: 1, a: [{ y: 2, x: 1 }], c: undefined, d: null });
    const b = canonicalJson({ d: null, a: [{ x: 1, y: 2 }], b: 1 });
    expect(a).toBe('{"a":[{"x":1,"y":2}],"b":1,"d":null}');
    expect(b).toBe(a);
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.each([
    ['elm', 'invoice', '2026-03', 1, 'ELM-2026-03-0001'],
    ['oak street', 'invoice', '2026-12', 42, 'OAK-STREET-2026-12-0042'],
    ['elm', 'credit_note', '2026-04', 7, 'ELM-CN-2026-04-0007'],
    ['elm', 'invoice', '2027-01', 12345, 'ELM-2027-01-12345'],
    ['--', 'invoice', '2026-01', 3, 'X-2026-01-0003'],
  ] as const)('numbers %s %s %s #%d as %s', (property, kind, month, seq, number) => {
    expect(documentNumber(property, kind, month, seq)).toBe(number);
    expect(sequenceOfNumber(number)).toBe(seq);
  });

  it('fails when a sequence is not a positive integer or a number has no sequence', () => {
    expect(() => documentNumber('elm', 'invoice', '2026-03', 0)).toThrow('expected a positive integer, got 0');
    expect(() => sequenceOfNumber('ELM-2026-03')).toThrow('expected a number like ELM-2026-03-0001');
    expect(numberPrefix('élm 7')).toBe('ELM-7');
  });

  it.each([
    ['2026-03', '2026-02'],
    ['2026-01', '2025-12'],
    ['2026-10', '2026-09'],
  ])('takes the month before %s as %s', (month, prev) => {
    expect(previousMonth(month)).toBe(prev);
  });

  it('adds the difference of a re-priced month as an adjustment line after the taxes', () => {
    const line = adjustmentLine(
      { month: '2026-03', invoiceNumber: 'ELM-2026-03-0002', oldTotalMinor: 16380, newTotalMinor: 18270 },
      'USD',
    );
    expect(line).toEqual({
      kind: 'adjustment',
      description: 'Adjustment for 2026-03 (invoice ELM-2026-03-0002): re-priced with late readings, 163.80 → 182.70',
      quantity: 1,
      unit: 'invoice',
      rate: 18.9,
      amount: 18.9,
      amountMinor: 1890,
    });
    const adjusted = withLines(invoiceSample, [line]);
    expect(adjusted.totalMinor).toBe(invoiceSample.totalMinor + 1890);
    expect(adjusted.lines.at(-1)).toBe(line);
  });

  it('makes a credit note of one negative credit line naming the invoice', () => {
    const note = creditNoteInvoice(invoiceSample, 'ELM-2026-03-0002', 500, 'misread');
    expect(note.lines).toEqual([
      {
        kind: 'credit',
        description: 'Credit note for invoice ELM-2026-03-0002: misread',
        quantity: 1,
        unit: 'credit',
        rate: -5,
        amount: -5,
        amountMinor: -500,
      },
    ]);
    expect(note).toMatchObject({ totalMinor: -500, kWh: 0, tenant: invoiceSample.tenant, dailyKWh: [] });
  });
});

import { decodeFrame, toReading } from '../../edge-collector/src/codec';
import type { EdgeReading } from '../../edge-collector/src/codec/reading';
import captured from '../../edge-collector/test/fixtures/vectors/captured-frames.json';
import { isRefusal, validateEdgeBatch } from '../../functions/core/edge/edge-batch';
import { readingToRow } from '../../functions/core/parquet/rows';

// Edge field names are validated as the README says (EKM's names only, no free-form `extra`),
// and EKM's dotted name and its column spelling in one reading are refused, never one silently kept.
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const GW = { id: 'site-1', token: 'tok-site-1-secret', meters: ['000300001463', '000300002570', '000300000234'] };

function batchOf(fields: Record<string, number | string>, meter = '000300001463') {
  return {
    gateway: 'site-1',
    batchId: 'site-1-b1',
    readings: [{ meter, timeMs: NOW - 60_000, good: true, protocol: 'v4', source: 'edge', via: 'site-1', fields }],
  };
}

function issuesOf(out: ReturnType<typeof validateEdgeBatch>) {
  expect(isRefusal(out)).toBe(true);
  return (out as unknown as { status: number; issues: { path: string; message: string }[] }).issues;
}

describe('edge field names', () => {
  it.each([
    ['kWh_Totl', /field name "kWh_Totl" is not an EKM field name; did you mean kWh_Tot/],
    ['Temperature', /field name "Temperature" is not an EKM field name/],
    ['rms_volts_ln_1', /did you mean RMS_Volts_Ln_1/],
  ])('fails when a reading carries the unknown field %s (400, with a suggestion)', (name, message) => {
    // Act
    const out = validateEdgeBatch(batchOf({ kWh_Tot: 1, [name]: 2 }), { gateway: GW, nowMs: NOW });
    // Assess
    expect(out).toMatchObject({ status: 400 });
    expect(issuesOf(out)).toEqual([{ path: 'readings[0].fields', message: expect.stringMatching(message) }]);
  });

  it('fails when a reading carries both PERR.NR and PERR_NR (the column spelling is not an EKM name)', () => {
    const out = validateEdgeBatch(batchOf({ kWh_Tot: 1, 'PERR.NR': '3', PERR_NR: '4' }), { gateway: GW, nowMs: NOW });
    expect(issuesOf(out)).toEqual([
      { path: 'readings[0].fields', message: 'field name "PERR_NR" is not an EKM field name; did you mean PERR.NR?' },
    ]);
  });

  it('quarantines a cloud read that carries both spellings (readingToRow)', () => {
    const row = readingToRow({
      meter: '000350000900',
      timeMs: NOW,
      good: false,
      source: 'realtime',
      via: 'demo',
      fields: { 'PERR.RXP': '1', PERR_RXP: '2' },
    });
    expect('rejected' in row && row.rejected.reason).toBe(
      'PERR.RXP and PERR_RXP are one field (column PERR_RXP); send only one of them',
    );
  });

  it('accepts every field the edge collector decodes from real meter replies', () => {
    // Prepare: readings built by the collector's own codec from captured v4 A/B and v3 replies.
    const frames = (captured as { hex?: string }[]).flatMap((c) => (c.hex ? [Buffer.from(c.hex, 'hex')] : []));
    const readings: EdgeReading[] = [];
    for (const frame of frames) {
      try {
        const block = decodeFrame(frame, {});
        const timeMs = NOW - 60_000 - readings.length * 1000;
        if (block.kind === 'v4b') {
          // A B block alone: its fields as the collector merges them (Meter_Address dropped).
          const { Meter_Address: _address, ...fields } = decodeFrame(frame, { kind: 'v4b', scale: 2 }).fields;
          readings.push({
            meter: block.address,
            timeMs,
            good: true,
            protocol: 'v4',
            source: 'edge',
            via: 'site-1',
            fields,
          });
        } else readings.push(toReading({ primary: block, timeMs, via: 'site-1' }));
      } catch {
        // captured garbage (short or noisy replies) is not a reading
      }
    }
    expect(readings.length).toBeGreaterThan(0);
    const gw = { ...GW, meters: [...new Set(readings.map((r) => r.meter))] };
    // Act
    const out = validateEdgeBatch({ gateway: 'site-1', batchId: 'site-1-b2', readings }, { gateway: gw, nowMs: NOW });
    // Assess
    expect(isRefusal(out) ? out : 'accepted').toBe('accepted');
  });
});

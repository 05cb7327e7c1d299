import { isRefusal, validateEdgeBatch } from '../../functions/core/edge/edge-batch';
import { parseReadResponseWithRejections } from '../../functions/core/ekm/realtime';
import { parseRealtimeInto } from '../../functions/core/ekm/realtime-columns';
import { parseSummaryResponse } from '../../functions/core/ekm/summary';
import { ColumnBatchBuilder } from '../../functions/core/parquet/column-batch';
import { bucketToRow, readingToRow } from '../../functions/core/parquet/rows';

// One rule for every path into the lake: a value that is not a finite double is refused (edge,
// HTTP 400 naming reading, field and value) or quarantined (cloud), never stored as ±Infinity.
const NOW = Date.UTC(2026, 10, 24, 12);
const GW = { id: 'site-1', token: 'tok-site-1', meters: ['000300001463'] };

function edgeBatch(fields: Record<string, number | string>) {
  return {
    gateway: 'site-1',
    batchId: 'site-1-b1',
    readings: [
      {
        meter: '000300001463',
        timeMs: NOW - 60_000,
        good: true,
        protocol: 'v4',
        source: 'edge',
        via: 'site-1',
        fields: { kWh_Tot: 1 },
      },
      { meter: '000300001463', timeMs: NOW - 1000, good: true, protocol: 'v4', source: 'edge', via: 'site-1', fields },
    ],
  };
}

describe('non-finite values', () => {
  it.each([
    ['kWh_Tot', '1e400'],
    ['kWh_Tot', '-1e400'],
    ['RMS_Watts_Tot', '  -1E999 '],
    ['CT_Ratio', '1e400'],
  ])('fails when an edge reading carries %s = %j (400 naming reading, field and value)', (field, value) => {
    // Act
    const out = validateEdgeBatch(edgeBatch({ [field]: value }), { gateway: GW, nowMs: NOW });
    // Assess
    expect(isRefusal(out)).toBe(true);
    expect(out).toMatchObject({ status: 400, code: 'INVALID_BATCH' });
    const issues = (out as unknown as { issues: { path: string; message: string }[] }).issues;
    expect(issues).toEqual([
      { path: 'readings[1]', message: expect.stringContaining(`${field}: ${JSON.stringify(value)}`) },
    ]);
    expect(issues[0]?.message).toContain('not a finite number');
  });

  it.each([['1e400'], ['-1e400']])('quarantines a realtime read whose kWh_Tot is %j', (value) => {
    // Prepare
    const body = JSON.stringify({
      readMeter: {
        ReadSet: [
          {
            Meter: '300001463',
            Protocol: 'v4',
            ReadData: [
              { Good: 1, Time_Stamp_UTC_ms: NOW - 60_000, Date: '2026-11-24', Time: '11:59:00.000', kWh_Tot: '12.5' },
              { Good: 1, Time_Stamp_UTC_ms: NOW, Date: '2026-11-24', Time: '12:00:00.000', kWh_Tot: value },
            ],
          },
        ],
      },
    });
    // Act
    const parsed = parseReadResponseWithRejections(body, { via: 'demo' });
    // Assess
    expect(parsed.readings.map((r) => r.fields.kWh_Tot)).toEqual([12.5]);
    expect(parsed.rejected).toHaveLength(1);
    expect(parsed.rejected[0]?.reason).toContain('kWh_Tot');
    expect(parsed.rejected[0]?.reason).toContain('not a finite number');
  });

  it.each([[Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY], [Number.NaN], ['1e400'], ['-1e400']])(
    'keeps %p out of a lake row (readingToRow quarantines it)',
    (value) => {
      const row = readingToRow({
        meter: '000300001463',
        timeMs: NOW,
        good: true,
        source: 'realtime',
        via: 'demo',
        fields: { kWh_Tot: value },
      });
      expect('rejected' in row && row.rejected.reason).toMatch(/^kWh_Tot: .* is not a finite number/);
    },
  );

  it('quarantines a summary bucket whose aggregate overflows', () => {
    // Prepare
    const body = JSON.stringify([
      {
        Meter: 300001463,
        Start_Time_Stamp_UTC_ms: NOW - 900_000,
        End_Time_Stamp_UTC_ms: NOW,
        kWh_Tot_Diff: '-1e400',
        kWh_Tot_First: '10.5',
      },
    ]);
    // Act
    const buckets = parseSummaryResponse(body, { report: '15' });
    const rows = buckets.map((b) => bucketToRow(b, 'demo'));
    // Assess
    expect(rows).toHaveLength(1);
    expect('rejected' in rows[0]! && rows[0].rejected.reason).toMatch(/^kWh_Tot_Diff: .* is not a finite number/);
  });
});

describe('non-finite values on the columnar realtime path', () => {
  it('quarantines the same reads as the row path (1e400, -1e400, PERR.NR with PERR_NR)', () => {
    // Prepare
    const body = JSON.stringify({
      readMeter: {
        ReadSet: [
          {
            Meter: '300001463',
            Protocol: 'v4',
            ReadData: [
              { Good: 1, Time_Stamp_UTC_ms: NOW - 60_000, Date: '2026-11-24', Time: '11:59:00.000', kWh_Tot: '12.5' },
              { Good: 1, Time_Stamp_UTC_ms: NOW, Date: '2026-11-24', Time: '12:00:00.000', kWh_Tot: '1e400' },
              { Good: 1, Time_Stamp_UTC_ms: NOW + 60_000, Date: '2026-11-24', Time: '12:01:00.000', kWh_Tot: '-1e400' },
              {
                Good: 0,
                Time_Stamp_UTC_ms: NOW + 120_000,
                Date: '2026-11-24',
                Time: '12:02:00.000',
                'PERR.NR': '1',
                PERR_NR: '2',
              },
            ],
          },
        ],
      },
    });
    // Act
    const out = parseRealtimeInto(body, { via: 'demo' }, new ColumnBatchBuilder());
    // Assess
    expect(out.endRow - out.firstRow).toBe(1);
    expect(out.rejected.map((r) => r.reason)).toEqual([
      expect.stringContaining('kWh_Tot is not a finite number'),
      expect.stringContaining('kWh_Tot is not a finite number'),
    ]);
    expect(out.lakeRejected.map((r) => r.reason)).toEqual([
      'PERR.NR and PERR_NR are one field (column PERR_NR); send only one of them',
    ]);
  });
});

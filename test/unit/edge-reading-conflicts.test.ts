import { edgeReadingConflicts } from '../../functions/core/edge/reading-conflicts';
import { type LakeRow, readingToRow } from '../../functions/core/parquet/rows';
import type { Reading } from '../../functions/core/readings/reading';

const T = Date.UTC(2026, 10, 25, 8, 0, 0);
const reading = (over: Partial<Reading> = {}): Reading => ({
  meter: '000300001463',
  timeMs: T,
  good: true,
  protocol: 'v4',
  source: 'edge',
  via: 'site-1',
  fields: { kWh_Tot: 100.5, RMS_Watts_Tot: 1480, Firmware: '15' },
  ...over,
});
const row = (r: Reading): LakeRow => {
  const mapped = readingToRow(r);
  if ('rejected' in mapped) throw new Error(mapped.rejected.reason);
  return mapped.row;
};

describe('edgeReadingConflicts', () => {
  const accepted = row(reading());
  it.each([
    ['a new meter and time', reading({ timeMs: T + 1000 }), accepted],
    ['an exact repeat', reading(), accepted],
    [
      'unknown fields in another order',
      reading({ fields: { ...reading().fields, A: 1, B: 2 } }),
      row(reading({ fields: { ...reading().fields, B: 2, A: 1 } })),
    ],
    ['a read held only from another source', reading({ fields: { kWh_Tot: 1 } }), { ...accepted, source: 'realtime' }],
  ])('finds nothing for %s', (_, incoming, held) => {
    expect(edgeReadingConflicts([incoming], [held])).toEqual([]);
  });

  it.each([
    [
      { fields: { kWh_Tot: 777777, RMS_Watts_Tot: 1480, Firmware: '15' } },
      'readings[0].fields.kWh_Tot',
      'kWh_Tot was accepted as 100.5, this batch has 777777',
    ],
    [
      { fields: { kWh_Tot: 100.5, Firmware: '15' } },
      'readings[0].fields.RMS_Watts_Tot',
      'RMS_Watts_Tot was accepted as 1480, this batch has absent',
    ],
    [{ good: false }, 'readings[0].good', 'good was accepted as true, this batch has false'],
    [
      { fields: { kWh_Tot: 100.5, RMS_Watts_Tot: 1480, Firmware: '15', Fancy: 1 } },
      'readings[0].extra',
      'extra was accepted as absent',
    ],
  ] as const)('fails when a field changes an accepted reading (%j)', (over, path, text) => {
    const issues = edgeReadingConflicts([reading(over as Partial<Reading>)], [row(reading())]);
    expect(issues).toEqual([
      { path, message: expect.stringContaining(`meter 000300001463 at 2026-11-25T08:00:00.000Z: ${text}`) },
    ]);
  });
});

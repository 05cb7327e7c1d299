import { tallyChunk } from '../../functions/core/ekm/realtime-chunk';
import type { MeterId } from '../../functions/core/readings/meter-id';
import type { Reading } from '../../functions/core/readings/reading';

const A = '000350000900' as MeterId;
const B = '000350000901' as MeterId;
const T = Date.UTC(2026, 10, 20);
const read = (meter: MeterId, minute: number, good = true): Reading => ({
  meter,
  timeMs: T + minute * 60_000,
  good,
  source: 'realtime',
  via: 'demo',
  fields: { kWh_Tot: minute },
});
const refusal = (meter: MeterId, minute: number) => ({
  meter,
  timeMs: T + minute * 60_000,
  reason: 'kWh_Tot: expected a number',
  raw: { kWh_Tot: 'x' },
});

describe('tallyChunk (one chunk of Realtime answers, before it is written)', () => {
  it('leaves a meter whose answer may be cut to the deep pass: not counted, not quarantined, not written', () => {
    // Prepare: asked for 6 reads each; A came back with 3 and 1 refused (half or more), B with a failed read and 1 refused
    const answers = {
      cursors: new Map([
        [A, T],
        [B, T],
      ]),
      reads: [read(A, 1), read(A, 2), read(A, 3), read(B, 1, false)],
      refused: [refusal(A, 4), refusal(B, 2)],
      lakeRefused: [],
      alias: 'demo',
      cnt: 6,
      checkCut: true,
    };
    // Act
    const tally = tallyChunk(answers);
    // Assess
    expect([...tally.cut]).toEqual([A]);
    expect(tally.readCount).toBe(1);
    expect(tally.failedCount).toBe(1);
    expect(tally.reads.map((r) => r.meter)).toEqual([B]);
    expect(tally.fresh.map((r) => [r.meter, r.via, r.source])).toEqual([[B, 'demo', 'realtime']]);
    expect(tally.held.byMeter.get(A)).toMatchObject({ count: 4 });
  });

  it('quarantines only refused reads newer than their cursor (older ones were quarantined by the run that passed them)', () => {
    const tally = tallyChunk({
      cursors: new Map([[A, T + 5 * 60_000]]),
      reads: [read(A, 6)],
      refused: [refusal(A, 5), refusal(A, 7)],
      lakeRefused: [],
      alias: 'demo',
      cnt: 1000,
      checkCut: false,
    });
    expect(tally.fresh.map((r) => r.timeMs)).toEqual([T + 7 * 60_000]);
    expect(tally.cut.size).toBe(0);
    expect(tally.held.byMeter.get(A)).toMatchObject({ count: 3, newestMs: T + 7 * 60_000 });
  });
});

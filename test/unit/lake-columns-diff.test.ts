import { parseReadResponseWithRejections, type RealtimeRejection } from '../../functions/core/ekm/realtime';
import { parseRealtimeInto, type RealtimeColumnsResult } from '../../functions/core/ekm/realtime-columns';
import { ColumnBatchBuilder, mergeOrder } from '../../functions/core/parquet/column-batch';
import { decodeRows, encodeRows } from '../../functions/core/parquet/encode';
import { decodeColumnsInto, encodeColumns, encodeColumnsStreaming } from '../../functions/core/parquet/encode-columns';
import { type LakeRow, mergeRows, quarantineRow, type Rejected, readingToRow } from '../../functions/core/parquet/rows';
import { generateAccount } from '../../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../../local/ekm-cloud/identities';
import { startFakeCloud } from '../../local/ekm-cloud/server';

/*
 * Differential tests: the columnar realtime path (core/ekm/realtime-columns.ts → column-batch.ts →
 * encode-columns.ts) against the row path it is measured against (realtime.ts
 * parseReadResponseWithRejections → rows.ts readingToRow + mergeRows → encode.ts encodeRows) on the
 * same bodies. Both Parquet outputs are decoded and compared row by row; parser rejections, lake
 * rejections and the quarantine rows made of them must be the same; refused bodies the same error.
 */

type Ctx = { via: string; sinceMs?: number; untilMs?: number };
const T_DETECTED = Date.UTC(2026, 11, 3, 4, 0, 0);

/** What ingest-realtime.ts writes to quarantine for a parser rejection. */
function quarantineOfParser(r: RealtimeRejection, via: string): Rejected {
  return {
    reason: r.reason,
    meter: r.meter,
    ...(r.timeMs !== undefined ? { timeMs: r.timeMs } : {}),
    source: 'realtime',
    via,
    raw: JSON.stringify(r.raw),
  };
}

interface Outcome {
  rows: LakeRow[];
  rejected: RealtimeRejection[];
  lakeRejected: Rejected[];
  quarantine: LakeRow[];
}

function quarantineRows(rejected: RealtimeRejection[], lakeRejected: Rejected[], via: string): LakeRow[] {
  const all = [...rejected.map((r) => quarantineOfParser(r, via)), ...lakeRejected];
  if (all.length === 0) return [];
  return decodeRows(
    encodeRows(
      'quarantine',
      all.map((r) => quarantineRow(r, T_DETECTED)),
    ),
  );
}

function rowPath(body: string, ctx: Ctx): Outcome {
  const parsed = parseReadResponseWithRejections(body, ctx);
  const rows: LakeRow[] = [];
  const lakeRejected: Rejected[] = [];
  for (const reading of parsed.readings) {
    const m = readingToRow(reading);
    if ('row' in m) rows.push(m.row);
    else lakeRejected.push(m.rejected);
  }
  return {
    rows: decodeRows(encodeRows('realtime', mergeRows('realtime', [], rows))),
    rejected: parsed.rejected,
    lakeRejected,
    quarantine: quarantineRows(parsed.rejected, lakeRejected, ctx.via),
  };
}

function columnPath(body: string, ctx: Ctx): Outcome & { result: RealtimeColumnsResult } {
  const builder = new ColumnBatchBuilder(16);
  const result = parseRealtimeInto(body, ctx, builder);
  const bytes = encodeColumns(builder.finish(mergeOrder(builder)));
  return {
    rows: decodeRows(bytes),
    rejected: result.rejected,
    lakeRejected: result.lakeRejected,
    quarantine: quarantineRows(result.rejected, result.lakeRejected, ctx.via),
    result,
  };
}

function errorOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** Both paths on one body: same rows, same rejections, same quarantine rows, or the same error. */
function expectSame(body: string, ctx: Ctx = { via: 'demo' }): ReturnType<typeof columnPath> | undefined {
  const wantError = errorOf(() => rowPath(body, ctx));
  if (wantError !== undefined) {
    expect(errorOf(() => columnPath(body, ctx))).toBe(wantError);
    return undefined;
  }
  const want = rowPath(body, ctx);
  const got = columnPath(body, ctx);
  expect(got.rows).toEqual(want.rows);
  expect(got.rejected).toEqual(want.rejected);
  expect(got.lakeRejected).toEqual(want.lakeRejected);
  expect(got.quarantine).toEqual(want.quarantine);
  return got;
}

const doc = (sets: unknown[]) => JSON.stringify({ readMeter: { ReadSet: sets } });
const T0 = 1773165600000;

describe('columnar realtime path = row path', () => {
  let body = '';
  beforeAll(async () => {
    // 12 meters (every 4th v3) × 200 reads from the local EKM cloud, 3% failed reads.
    const cloud = await startFakeCloud({ account: generateAccount({ meters: 12 }), seed: 11, badReadRate: 0.03 });
    try {
      const ids = cloud.account.gateways.flatMap((g) => g.meters.map((m) => m.id.replace(/^0+/, '')));
      body = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${ids.join('~')}&cnt=200`).then((r) =>
        r.text(),
      );
    } finally {
      await cloud.close();
    }
  });

  it("gives the same Parquet rows for the simulator's v3 and v4 reads and failed reads, without the reference path", () => {
    // Act
    const got = expectSame(body);
    // Assess
    expect(got?.result.referencePath).toBe(false);
    expect(got?.result.referenceReads).toBe(0);
    expect(got?.rows).toHaveLength(12 * 200);
    expect(new Set(got?.rows.map((r) => r.protocol))).toEqual(new Set(['v3', 'v4']));
    expect(got?.rows.some((r) => r.good === false)).toBe(true);
  });

  it('writes the same rows when the writer receives the batch in record-batch slices (encodeColumnsStreaming)', async () => {
    // Prepare: several slices and a short last one, failed reads and v3/v4 mixed.
    const builder = new ColumnBatchBuilder();
    parseRealtimeInto(body, { via: 'demo' }, builder);
    const batch = builder.finish(mergeOrder(builder));
    expect(batch.length % 1000).not.toBe(0);
    // Act
    const streamed = decodeRows(await encodeColumnsStreaming(batch, 1000));
    // Assess
    expect(streamed).toEqual(decodeRows(encodeColumns(batch)));
  });

  it('agrees on reads shuffled and repeated within a meter, with and without since/until', () => {
    // Prepare
    const json = JSON.parse(body) as { readMeter: { ReadSet: { ReadData: { Time_Stamp_UTC_ms: number }[] }[] } };
    const times = json.readMeter.ReadSet[0]!.ReadData.map((r) => r.Time_Stamp_UTC_ms);
    for (const set of json.readMeter.ReadSet) {
      const data = set.ReadData;
      set.ReadData = [...data.slice(150).reverse(), ...data.slice(0, 170), ...data.slice(100, 120)];
    }
    const shuffled = JSON.stringify(json);
    // Act + Assess
    expect(expectSame(shuffled)?.result.referencePath).toBe(false);
    expectSame(shuffled, { via: 'demo', sinceMs: times[40]!, untilMs: times[160]! });
  });

  it('agrees when a meter appears in two ReadSets (the later read wins the merge, as in mergeRows)', () => {
    // Prepare: the same meter twice with overlapping times and different values.
    const json = JSON.parse(body) as { readMeter: { ReadSet: { Meter: string; ReadData: unknown[] }[] } };
    const [a, b] = json.readMeter.ReadSet;
    const twice = doc([a, { ...b, Meter: a!.Meter, ReadData: b!.ReadData.slice(0, 50) }, a]);
    // Act + Assess
    expectSame(twice);
  });

  it('quarantines malformed reads exactly like the row path', () => {
    // Prepare: every rule of the parser and of readingToRow, next to good reads.
    const good = (k: number, extra: Record<string, unknown> = {}) => ({
      Good: 1,
      Time_Stamp_UTC_ms: T0 + k * 60_000,
      kWh_Tot: '12.5',
      Power_Factor_Ln_1: '90',
      Meter_Time: '26120304034500',
      ...extra,
    });
    const reads: unknown[] = [
      good(0),
      good(1, { kWh_Tot: 'abc' }), // non-numeric decimal text
      good(2, { kWh_Tot: '1e400' }), // overflows a double
      good(3, { RMS_Volts_Ln_1: 'Infinity' }),
      { Good: 1, kWh_Tot: '1.0' }, // no time
      good(4, { Time_Stamp_UTC_ms: '17731656x' }),
      good(5, { Time_Stamp_UTC_ms: 12 }), // before 2000: refused by the lake
      good(6, { Time_Stamp_UTC_ms: 5_000_000_000_000 }), // after 2100
      good(7, { Power_Factor_Ln_1: '1.5' }), // not an integer state
      good(8, { CT_Ratio: '3000000000' }), // outside INT32
      good(9, { Brand_New: 'x', Other: '2.5' }), // unknown fields: kept in `extra`
      good(10, { kWh_Tot: ' 7 ', RMS_Volts_Ln_1: '1e3', Amps_Ln_1: '+.5' }), // decimals the fast scanner leaves to the reference
      good(11, { Model: 'Ω-meter \u2713', Firmware: 'a\\"b' }),
      good(12, { 'PERR.NR': 26950, Meter_Status_Code: '00' }),
      good(13, { kWh_Tot: true }),
      good(14, { kWh_Tot: '' }),
      good(15, { kWh_Tot: null, Cos_Theta_Ln_1: [] }),
      null,
      7,
      [1],
      good(1, { kWh_Tot: 'abc' }), // the same bad read again: one rejection
      good(16, { kWh_Tot: 'abc' }),
      good(16, { kWh_Tot: '1.0' }), // a bad and a good read at the same time
    ];
    const sets = [
      { Meter: '350000900', Protocol: 'v4', ReadData: reads },
      { Meter: 350000901, Protocol: 'v3', ReadData: reads.slice(0, 6) },
      { Meter: '350000902', ReadData: reads.slice(0, 3) }, // no Protocol
      { Meter: '350000903', Protocol: 'v9' },
    ];
    // Act
    const got = expectSame(doc(sets));
    // Assess
    expect(got?.result.referencePath).toBe(false);
    expect(got?.rejected.length).toBeGreaterThan(5);
    expect(got?.lakeRejected.length).toBeGreaterThan(3);
    expect(got?.rows.some((r) => typeof r.extra === 'string')).toBe(true);
  });

  it('agrees on the edge cases of the parser diff test (empties next to text, changing key sets, long decimals)', () => {
    const reads = [
      { Good: 1, Time_Stamp_UTC_ms: T0, Cos_Theta_Ln_1: [], kWh_Tot: '', Meter_Time: null },
      { Good: 1, Time_Stamp_UTC_ms: T0 + 60_000, kWh_Tot: '1.5', Cos_Theta_Ln_1: '0.9 L' },
      { Time_Stamp_UTC_ms: T0 + 120_000, Good: 0, Cos_Theta_Ln_1: '0.9 L', kWh_Tot: '1.5', X: 'y' },
      { Good: 1, Time_Stamp_UTC_ms: T0 + 180_000, kWh_Tot: '-0.00', RMS_Volts_Ln_1: '0000123456789012345.5' },
      { Good: 1, Time_Stamp_UTC_ms: T0 + 240_000, kWh_Tot: '99999999999999.9', RMS_Volts_Ln_1: '1.' },
      { Good: '1', Time_Stamp_UTC_ms: `${T0 + 300_000}`, kWh_Tot: -0, Firmware: 28, CT_Ratio: '-0' },
      { Good: 1, Time_Stamp_UTC_ms: T0 + 360_000, kWh_Tot: '1', kWh_Tot_: '2', Good_Reads_Ratio: 100.5 },
    ];
    expectSame(doc([{ Meter: '350000900', Protocol: 'v4', ReadData: reads }]));
    // A repeated key: JSON.parse keeps the last value.
    expectSame(
      `{"readMeter":{"ReadSet":[{"Meter":"350000900","Protocol":"v4","ReadData":[{"Good":1,"Time_Stamp_UTC_ms":${T0},"kWh_Tot":"1","kWh_Tot":""},{"Good":1,"Time_Stamp_UTC_ms":${T0 + 1},"kWh_Tot":"1","Good":0}]}]}}`,
    );
    // Whitespace, escapes in keys, numbers in exponent form.
    expectSame(
      `{ "readMeter" : { "ReadSet" : [ { "Meter" : "350000900" , "Protocol" : "v4" , "ReadData" : [ { "Good" : 1 , "Time_Stamp_UTC_ms" : ${T0} , "kWh\\u005fTot" : "2" , "RMS_Volts_Ln_1" : 1.2e2 } , { "Good" : 1 , "Time_Stamp_UTC_ms" : ${T0 + 60_000} , "kWh_Tot" : "3" } ] } ] } }\n`,
    );
  });

  it('agrees on 2000 seeded random field values (numbers, decimals, junk, empties, non-strings)', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const alphabet = '0000111223456789999..--+eE xb_a';
    const randomText = () => {
      let t = '';
      const n = Math.floor(rand() * 19);
      for (let i = 0; i < n; i++) t += pick([...alphabet]);
      return t;
    };
    const randomDecimal = () => {
      const digits = Math.floor(rand() * 18);
      let t = rand() < 0.3 ? '-' : '';
      for (let i = 0; i < digits; i++) t += String(Math.floor(rand() * 10));
      if (rand() < 0.7) t = `${t.slice(0, Math.floor(rand() * t.length))}.${t.slice(Math.floor(rand() * t.length))}`;
      return t;
    };
    const value = (): unknown =>
      pick([
        randomText,
        randomDecimal,
        randomDecimal,
        () => rand() * 1e6 - 5e5,
        () => pick([0, -0, 1, 1e21, 0.1, -12.5, 2 ** 53 + 2, 2 ** 31, -(2 ** 31)]),
        () => pick(['', null, true, false, [], {}, ' 12 ', '1e3', '0x1F', '0b11', '-0', '-0.00', '.5', '5.', '-']),
      ])();
    const fields = [
      'kWh_Tot',
      'RMS_Volts_Ln_1',
      'Cos_Theta_Ln_1',
      'Meter_Time',
      'Some_New_Field',
      'Good',
      'CT_Ratio',
      'Meter_Status_Code',
      'PERR.NR',
    ];
    const sets: unknown[] = [];
    for (let i = 0; i < 700; i++) {
      const reads = [0, 1, 2].map((k) => {
        const read: Record<string, unknown> = { Good: 1, Time_Stamp_UTC_ms: T0 + (k + 3 * i) * 60_000 };
        for (const f of fields) if (rand() < 0.6) read[f] = value();
        return read;
      });
      sets.push({ Meter: String(350000900 + (i % 5)), Protocol: pick(['v3', 'v4']), ReadData: reads });
    }
    expect(expectSame(doc(sets))?.result.referencePath).toBe(false);
  });

  it.each([
    ['not JSON', '<html>oops</html>'],
    ['truncated JSON', '{"readMeter":{"ReadSet":[{"Meter":"350000900","ReadData":[{"Good":1'],
    ['an EKM status body', '{"error":"Invalid key"}'],
    ['no readMeter', '{"x":1}'],
    ['ReadSet not an array', '{"readMeter":{"ReadSet":{}}}'],
    ['a ReadSet without Meter', '{"readMeter":{"ReadSet":[{"ReadData":[]}]}}'],
    ['a bad Meter', '{"readMeter":{"ReadSet":[{"Meter":"12x","ReadData":[]}]}}'],
    ['ReadData not an array', '{"readMeter":{"ReadSet":[{"Meter":"350000900","ReadData":{}}]}}'],
    [
      'ReadData before Meter',
      `{"readMeter":{"ReadSet":[{"ReadData":[{"Good":1,"Time_Stamp_UTC_ms":${T0}}],"Meter":"1"}]}}`,
    ],
    ['trailing text', `{"readMeter":{"ReadSet":[]}} x`],
    [
      'a control character in a value',
      `{"readMeter":{"ReadSet":[{"Meter":"1","ReadData":[{"Good":1,"Time_Stamp_UTC_ms":${T0},"Model":"a\u0001"}]}]}}`,
    ],
    ['readMeter twice', '{"readMeter":{"ReadSet":[]},"readMeter":{"ReadSet":[{"Meter":"1","ReadData":[]}]}}'],
  ])('behaves like the row path on %s', (_name, text) => {
    expectSame(text);
  });

  it('uses the reference path for a body when the key alias is empty (every read is refused by the lake)', () => {
    const got = expectSame(doc([{ Meter: '350000900', ReadData: [{ Good: 1, Time_Stamp_UTC_ms: T0 }] }]), { via: '' });
    expect(got?.result.referencePath).toBe(true);
  });

  it('merges incoming rows into an existing object like mergeRows (one row per meter + time + source, incoming wins)', () => {
    // Prepare: an object holding the first 150 reads of each meter, then reads 100..199 arrive again.
    const json = JSON.parse(body) as { readMeter: { ReadSet: { ReadData: unknown[] }[] } };
    const part = (from: number, to: number) =>
      doc(json.readMeter.ReadSet.map((s) => ({ ...s, ReadData: s.ReadData.slice(from, to) })));
    const existingRows = rowPath(part(0, 150), { via: 'demo' }).rows;
    const existing = encodeRows('realtime', existingRows);
    const incoming = part(100, 200);
    const incomingRows: LakeRow[] = [];
    for (const r of parseReadResponseWithRejections(incoming, { via: 'other' }).readings) {
      const m = readingToRow(r);
      if ('row' in m) incomingRows.push(m.row);
    }
    // Act
    const builder = new ColumnBatchBuilder();
    decodeColumnsInto(existing, builder);
    parseRealtimeInto(incoming, { via: 'other' }, builder);
    const got = decodeRows(encodeColumns(builder.finish(mergeOrder(builder))));
    // Assess
    const want = decodeRows(encodeRows('realtime', mergeRows('realtime', decodeRows(existing), incomingRows)));
    expect(got).toEqual(want);
    expect(got.filter((r) => r.via === 'other')).toHaveLength(12 * 100);
  });
});

import { parseReadResponseWithRejections } from '../../functions/core/ekm/realtime';
import { parseRealtimeInto } from '../../functions/core/ekm/realtime-columns';
import { ColumnBatchBuilder } from '../../functions/core/parquet/column-batch';
import { decodeRows } from '../../functions/core/parquet/encode';
import { generateAccount } from '../../functions/fake-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../../functions/fake-cloud/identities';
import { startFakeCloud } from '../../functions/fake-cloud/server';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';

/*
 * The lake writer's columnar entry point (`writeColumns`, fed by core/ekm/realtime-columns.ts)
 * against `writeReadings` fed by the row parser: the same objects with the same rows, the same
 * counts, cursors and quarantine, also when merging into objects that already exist.
 */

const NOW = Date.UTC(2026, 11, 3, 4, 0, 0);
const clock = { now: () => NOW };

async function objects(store: InMemoryObjectStore): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  for (const { key } of await store.list('')) {
    const bytes = await store.get(key);
    // Quarantine rows hold the detection time: the same clock on both sides.
    if (bytes) out.set(key, decodeRows(bytes));
  }
  return out;
}

describe('lake writer: writeColumns', () => {
  let body = '';
  beforeAll(async () => {
    const cloud = await startFakeCloud({ account: generateAccount({ meters: 10 }), seed: 5, badReadRate: 0.03 });
    try {
      const ids = cloud.account.gateways.flatMap((g) => g.meters.map((m) => m.id.replace(/^0+/, '')));
      body = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${ids.join('~')}&cnt=300`).then((r) =>
        r.text(),
      );
    } finally {
      await cloud.close();
    }
    // One read the lake refuses (before 2000) and one the parser refuses: both reach quarantine.
    const json = JSON.parse(body) as { readMeter: { ReadSet: { ReadData: Record<string, unknown>[] }[] } };
    const data = json.readMeter.ReadSet[0]!.ReadData;
    data.push({ ...data[0], Time_Stamp_UTC_ms: 12 });
    data.push({ ...data[1], Time_Stamp_UTC_ms: Number(data[1]!.Time_Stamp_UTC_ms) + 1, kWh_Tot: 'x' });
    body = JSON.stringify(json);
  });

  it('writes the same objects, counts and cursors as writeReadings, merging into existing objects alike', async () => {
    // Prepare: both lakes already hold an earlier write of other reads (half of them repeated now).
    const rowStore = new InMemoryObjectStore();
    const colStore = new InMemoryObjectStore();
    const rowWriter = makeLakeWriter({ objectStore: rowStore, prefix: 'lake', clock, shards: 3 });
    const colWriter = makeLakeWriter({ objectStore: colStore, prefix: 'lake', clock, shards: 3 });
    const earlier = parseReadResponseWithRejections(body, { via: 'demo' }).readings.filter((_, i) => i % 2 === 0);
    await rowWriter.writeReadings(earlier, { via: 'demo' });
    await colWriter.writeReadings(earlier, { via: 'demo' });
    // Act
    const parsed = parseReadResponseWithRejections(body, { via: 'demo' });
    const byRows = await rowWriter.writeReadings(parsed.readings, { via: 'demo' });
    const builder = new ColumnBatchBuilder();
    const columns = parseRealtimeInto(body, { via: 'demo' }, builder);
    const byColumns = await colWriter.writeColumns(builder, { via: 'demo', rejected: columns.lakeRejected });
    // Assess
    expect(byColumns.keys).toEqual(byRows.keys);
    expect(byColumns.rows).toBe(byRows.rows);
    expect(byColumns.rejected).toEqual(byRows.rejected);
    expect(byColumns.rejected).toHaveLength(1);
    expect(columns.rejected).toEqual(parsed.rejected);
    expect([...byColumns.newestByMeter].sort()).toEqual([...byRows.newestByMeter].sort());
    const want = await objects(rowStore);
    expect(want.size).toBeGreaterThan(3);
    expect(await objects(colStore)).toEqual(want);
  });

  it('fails when the rows came through another key alias than the one written for', async () => {
    const builder = new ColumnBatchBuilder();
    parseRealtimeInto(body, { via: 'other' }, builder);
    const writer = makeLakeWriter({ objectStore: new InMemoryObjectStore(), clock });
    await expect(writer.writeColumns(builder, { via: 'demo' })).rejects.toThrow('not demo');
  });
});

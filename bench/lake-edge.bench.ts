/**
 * Edge gateway hour (`npm run bench -- lake`): one gateway posts a 500-reading batch every 10 s for an
 * hour (360 batches), replayed as fast as possible through the edge ingest use-case
 * (use-cases/ingest-edge-batch.ts) into an in-memory object store. Prints the time and bytes written
 * of the first and the 360th batch (median of the first and last ten too), then asks DuckDB over the
 * lake's `realtime` view for the hour: every reading once. Figures are printed, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLakeDir, syncLakeToDir } from '../functions/adapters/duckdb-lake';
import type { EdgeGateway } from '../functions/core/edge/edge-batch';
import { makeIngestEdgeBatch } from '../functions/use-cases/ingest-edge-batch';
import { makeEdgeBatchLake } from '../functions/use-cases/write-readings';
import { InMemoryEdgeReceipts } from '../test/fakes/in-memory-edge-receipts';
import { InMemoryIngestState } from '../test/fakes/in-memory-ingest-state';
import { InMemoryObjectStore } from '../test/fakes/in-memory-object-store';

const METERS = 50;
const READS_PER_METER = 10; // one read a second per meter: 500 readings per 10-second batch
const BATCHES = 360;
const START = Date.UTC(2026, 10, 25, 10, 0, 0);

class CountingStore extends InMemoryObjectStore {
  bytes = 0;
  override async put(key: string, body: Uint8Array): Promise<void> {
    this.bytes += body.length;
    await super.put(key, body);
  }
}

/** `--whole-partition`: the conflict check reads the whole day's partition per batch (the previous behaviour). */
const wholePartition = process.argv.includes('--whole-partition');

async function main(): Promise<void> {
  const meters = Array.from({ length: METERS }, (_, i) => String(300_001_000 + i).padStart(12, '0'));
  const gateway: EdgeGateway = { id: 'site-1', token: 'bench-token-0123456789', meters };
  const store = new CountingStore();
  const edgeLake = makeEdgeBatchLake({ objectStore: store });
  let now = START;
  const ingest = makeIngestEdgeBatch({
    locks: new InMemoryIngestState(),
    gateways: [gateway],
    lake: wholePartition
      ? { ...edgeLake, readPartition: (date: string, origin: string) => edgeLake.readPartition(date, origin) }
      : edgeLake,
    receipts: new InMemoryEdgeReceipts(),
    clock: { now: () => now },
  });
  const perBatch: { ms: number; bytes: number }[] = [];
  let seq = 0;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = START + b * 10_000;
    const readings = [];
    for (const meter of meters)
      for (let s = 0; s < READS_PER_METER; s++)
        readings.push({
          meter,
          timeMs: t0 + s * 1000,
          good: true,
          protocol: 'v4',
          source: 'edge',
          via: 'site-1',
          fields: {
            kWh_Tot: 1000 + (t0 + s * 1000 - START) / 3_600_000,
            RMS_Volts_Ln_1: 120.1,
            RMS_Watts_Tot: 1500 + s,
          },
        });
    const first = seq + 1;
    seq += readings.length;
    const batchId = `site-1-${String(first).padStart(12, '0')}-${String(seq).padStart(12, '0')}`;
    now = t0 + 11_000;
    const body = JSON.stringify({ gateway: 'site-1', batchId, readings });
    const bytes0 = store.bytes;
    const t = performance.now();
    const res = await ingest({ authorization: `Bearer ${gateway.token}`, idempotencyKey: batchId, body });
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`batch ${b}: ${res.status} ${JSON.stringify(res.body)}`);
    perBatch.push({ ms, bytes: store.bytes - bytes0 });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const head = perBatch.slice(0, 10);
  const tail = perBatch.slice(-10);
  const dir = mkdtempSync(join(tmpdir(), 'lake-edge-bench-'));
  try {
    await syncLakeToDir(store, '', dir);
    const q = await queryLakeDir(
      dir,
      `SELECT count(*)::INT AS rows, count(DISTINCT (meter, "time"))::INT AS distinct_reads FROM realtime WHERE "time" >= TIMESTAMP '2026-11-25 10:00:00' AND "time" < TIMESTAMP '2026-11-25 11:00:00'`,
    );
    const r = q.rows[0] as { rows: number; distinct_reads: number };
    console.log(
      `(e) one edge gateway, ${BATCHES} batches × ${METERS * READS_PER_METER} readings (10 s apart, one hour), in-memory store${wholePartition ? ', whole-partition conflict check (previous behaviour)' : ''}:`,
    );
    console.log(
      `    batch 1: ${perBatch[0]!.ms.toFixed(1)} ms, ${perBatch[0]!.bytes} B written; batch ${BATCHES}: ${perBatch[BATCHES - 1]!.ms.toFixed(1)} ms, ${perBatch[BATCHES - 1]!.bytes} B`,
    );
    console.log(
      `    median of first 10: ${median(head.map((x) => x.ms)).toFixed(1)} ms, ${median(head.map((x) => x.bytes))} B; of last 10: ${median(tail.map((x) => x.ms)).toFixed(1)} ms, ${median(tail.map((x) => x.bytes))} B → last/first ${(median(tail.map((x) => x.ms)) / median(head.map((x) => x.ms))).toFixed(2)}× time, ${(median(tail.map((x) => x.bytes)) / median(head.map((x) => x.bytes))).toFixed(2)}× bytes`,
    );
    console.log(
      `    query over the hour (DuckDB realtime view): ${r.rows} rows, ${r.distinct_reads} distinct reads (${BATCHES * METERS * READS_PER_METER} posted)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Daily compaction benchmark (`npm run bench -- compaction`; figures printed, never asserted).
 * One origin's finished day as a 10-minute schedule leaves it: 144 run objects, each holding 20
 * minutes of reads per meter (10 new, 10 re-asked by the overlap), in an in-memory object store.
 * Compaction merges them into one day object: wall time and peak RSS of this process, with the
 * store's bytes in it (printed beside). Meters: 200 (pass `--meters N` for another size).
 */

import type { Reading } from '../functions/core/readings/reading';
import { makeCompactLake } from '../functions/use-cases/compact-lake';
import { makeLakeWriter } from '../functions/use-cases/write-readings';
import { InMemoryIngestState } from '../test/fakes/in-memory-ingest-state';
import { InMemoryObjectStore } from '../test/fakes/in-memory-object-store';

const DAY = Date.UTC(2026, 10, 25);
const MIN = 60_000;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

function readsOfRun(meters: readonly string[], run: number): Reading[] {
  const out: Reading[] = [];
  for (const meter of meters)
    for (let m = Math.max(0, run * 10 - 19); m <= run * 10; m++)
      if (m < 1440)
        out.push({
          meter,
          timeMs: DAY + m * MIN,
          good: true,
          source: 'realtime',
          via: 'bench',
          protocol: 'v4',
          fields: { kWh_Tot: 1000 + m / 60, RMS_Volts_Ln_1: 120 + (m % 7) / 10, RMS_Watts_Tot: 1500 + (m % 97) },
        });
  return out;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--meters');
  const count = at > 0 ? Number(process.argv[at + 1]) : 200;
  const meters = Array.from({ length: count }, (_, i) => `0003${String(50_000 + i).padStart(8, '0')}`);
  const store = new InMemoryObjectStore();
  const writer = makeLakeWriter({ objectStore: store, clock: { now: () => DAY } });
  for (let run = 1; run <= 144; run++) await writer.writeReadings(readsOfRun(meters, run), { via: 'bench' });
  const objects = await store.list('dataset=realtime/');
  let bytes = 0;
  for (const o of objects) bytes += (await store.get(o.key))!.length;
  const before = maxRssMb();
  const compact = makeCompactLake({
    objectStore: store,
    state: new InMemoryIngestState(),
    clock: { now: () => DAY + 86_400_000 },
    intervals: false,
  });
  const t = process.hrtime.bigint();
  const result = await compact({});
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const day = result.days[0]!;
  console.log(
    `compaction of one day, ${count} meters × 1440 reads, ${objects.length} run objects (${(bytes / 1e6).toFixed(1)} MB of Parquet, in this process's memory):`,
  );
  console.log(
    `    ${wall.toFixed(1)} s wall, ${day.inputs} objects → ${day.rows} rows in ${day.key.split('/').pop()}; peak RSS ${maxRssMb().toFixed(0)} MB (${before.toFixed(0)} MB before compaction)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

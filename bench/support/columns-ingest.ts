/**
 * Child process of bench/lake.bench.ts: ingest realtime response bodies from files with the
 * columnar path (functions/core/ekm/realtime-columns.ts → column-batch.ts → encode-columns.ts) and
 * nothing else, then print the peak RSS as one JSON line. Imports only the lake's core modules, so
 * the RSS is the path's own (plus Node, tsx and the Parquet writer's wasm).
 *
 * `node --import tsx bench/support/columns-ingest.ts <dir>`: reads `<dir>/part-*.json` one at a time
 * (the 25-meter responses as the realtime client receives them), writes `<dir>/columns.parquet`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateReads, parseRealtimeInto } from '../../functions/core/ekm/realtime-columns';
import { ColumnBatchBuilder, mergeOrder } from '../../functions/core/parquet/column-batch';
import { encodeColumnsStreaming } from '../../functions/core/parquet/encode-columns';

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

async function main(dir: string): Promise<void> {
  const rssBeforeMb = maxRssMb();
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .sort();
  const builder = new ColumnBatchBuilder();
  let quarantined = 0;
  for (const f of files) {
    const body = readFileSync(join(dir, f), 'utf8');
    builder.reserve(estimateReads(body));
    const r = parseRealtimeInto(body, { via: 'bench' }, builder);
    quarantined += r.rejected.length + r.lakeRejected.length;
  }
  const order = mergeOrder(builder);
  const bytes = await encodeColumnsStreaming(builder.finish(order));
  writeFileSync(join(dir, 'columns.parquet'), bytes);
  console.log(
    JSON.stringify({ rows: order.length, quarantined, parquetBytes: bytes.length, rssBeforeMb, peakRssMb: maxRssMb() }),
  );
}

main(process.argv[2] as string).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Data lake benchmark (`npm run bench -- lake`). Figures are printed, never asserted.
 * (w) Parquet writer choice on the reading shape: apache-arrow + parquet-wasm vs hyparquet-writer.
 * (a) End-to-end EKM realtime JSON → Parquet (snappy) on one core, 200 meters × 1000 reads
 *     (`node --expose-gc --import tsx bench/lake.bench.ts --batch [--quick]` runs only this part;
 *     `--quick` uses 50 meters):
 *     readings/s vs bare JSON.parse of the same bytes and vs DuckDB (read_json → COPY TO parquet,
 *     1 thread) on the same file; bytes per reading; peak RSS (separate process).
 *     Side by side in the same rounds: the row path (parse → readings → rows → encodeRows) and the
 *     columnar path (core/ekm/realtime-columns.ts → column-batch.ts → encode-columns.ts), plus the
 *     peak RSS of a child process that ingests the same reads with the columnar path only
 *     (bench/support/columns-ingest.ts: the 25-meter response bodies as the client receives them, from files).
 * (b) A large account's steady-state realtime ingest, for 1,000 and 10,000 meters
 *     (`node --expose-gc --import tsx bench/lake.bench.ts --ingest [--meters N]` runs only this part;
 *     `--meters N` runs that one size). Per size, three processes of its own: the local EKM cloud
 *     (bench/support/fake-cloud-process.ts, 50 ms latency), s3rver + DynamoDB Local
 *     (bench/support/local-aws-process.ts), and the ingest alone (bench/support/realtime-ingest-run.ts):
 *     cursors seeded 5 minutes behind now (the simulated meters read once a minute: 5 new reads per
 *     meter; the run also re-asks a 10-minute overlap behind each cursor), then ONE ingestRealtime run,
 *     8 shards, batch 25, 16 connections per host, chunk size as the wiring derives it for a 512 MB
 *     Lambda (memoryMb: 512). Printed: wall time of the ingest call, new vs downloaded reads, HTTP
 *     requests, Parquet objects, reads/s, peak RSS of the ingest process; then a 100,000-meter line
 *     extrapolated (not measured) from the 10,000-meter run's wall time per meter.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parseReadResponse } from '../functions/core/ekm/realtime';
import { estimateReads, parseRealtimeInto } from '../functions/core/ekm/realtime-columns';
import { ColumnBatchBuilder, mergeOrder } from '../functions/core/parquet/column-batch';
import { encodeRows } from '../functions/core/parquet/encode';
import { encodeColumnsStreaming } from '../functions/core/parquet/encode-columns';
import { READING_COLUMNS } from '../functions/core/parquet/lake-schema';
import { type LakeRow, readingToRow } from '../functions/core/parquet/rows';
import { generateAccount } from '../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../local/ekm-cloud/identities';
import { startFakeCloud } from '../local/ekm-cloud/server';
import { startFakeCloudProcess } from './support/fake-cloud-process';
import { startLocalAwsProcess } from './support/local-aws-process';
import type { IngestRunFigures } from './support/realtime-ingest-run';

const gc = (globalThis as { gc?: () => void }).gc;
function timed<T>(fn: () => T): { s: number; value: T } {
  gc?.();
  const t = process.hrtime.bigint();
  const value = fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, value };
}
async function timedAsync<T>(fn: () => Promise<T>): Promise<{ s: number; value: T }> {
  gc?.();
  const t = process.hrtime.bigint();
  const value = await fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, value };
}
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

/** One document of every meter's reads (what the lake paths are timed on), and the 25-meter responses it joins. */
async function realtimeBodies(meters: number): Promise<{ body: string; parts: string[] }> {
  const cloud = await startFakeCloud({ account: generateAccount({ meters }), seed: 1 });
  const ids = cloud.account.gateways.flatMap((g) => g.meters.map((m) => m.id));
  const parts: string[] = [];
  // One batch response per 25 meters (what the client gets), concatenated into one document.
  const sets: unknown[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    const serials = ids
      .slice(i, i + 25)
      .map((id) => id.replace(/^0+/, ''))
      .join('~');
    const body = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${serials}&cnt=1000`).then((r) =>
      r.text(),
    );
    parts.push(body);
    sets.push(...(JSON.parse(body) as { readMeter: { ReadSet: unknown[] } }).readMeter.ReadSet);
  }
  await cloud.close();
  return { body: JSON.stringify({ readMeter: { Requested: sets.length, ReadSet: sets } }), parts };
}

async function realtimeBody(meters: number): Promise<string> {
  return (await realtimeBodies(meters)).body;
}

/** Seconds spent per stage of {@link endToEnd} (summed over calls), to show where the time goes. */
const stages = { parse: 0, map: 0, encode: 0 };
const lap = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

/** JSON body → readings → rows → Parquet bytes: the lake's whole realtime write path. */
function endToEnd(body: string): Uint8Array {
  let t = process.hrtime.bigint();
  const readings = parseReadResponse(body, { via: 'bench' });
  stages.parse += lap(t);
  t = process.hrtime.bigint();
  const rows: LakeRow[] = [];
  for (const r of readings) {
    const m = readingToRow(r);
    if ('row' in m) rows.push(m.row);
  }
  stages.map += lap(t);
  t = process.hrtime.bigint();
  const bytes = encodeRows('realtime', rows);
  stages.encode += lap(t);
  return bytes;
}

/** JSON bodies → typed column buffers → merge order → Parquet bytes: the columnar path, no object per read. */
async function columnsEndToEnd(bodies: readonly string[]): Promise<Uint8Array> {
  const builder = new ColumnBatchBuilder();
  let t = process.hrtime.bigint();
  for (const body of bodies) {
    builder.reserve(estimateReads(body));
    parseRealtimeInto(body, { via: 'bench' }, builder);
  }
  columnStages.parse += lap(t);
  t = process.hrtime.bigint();
  const batch = builder.finish(mergeOrder(builder));
  columnStages.merge += lap(t);
  t = process.hrtime.bigint();
  const out = await encodeColumnsStreaming(batch);
  columnStages.encode += lap(t);
  return out;
}
const columnStages = { parse: 0, merge: 0, encode: 0 };

async function duckdbCopy(file: string, out: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  await conn.run(
    `COPY (SELECT rs.Meter AS meter, unnest(rs.ReadData, recursive := true) FROM (SELECT unnest(readMeter.ReadSet) AS rs FROM read_json('${file}', maximum_object_size = 1000000000))) TO '${out}' (FORMAT parquet, COMPRESSION snappy)`,
  );
  conn.closeSync();
  instance.closeSync();
}

async function batchBench(meters: number): Promise<void> {
  const { body, parts } = await realtimeBodies(meters);
  const rssBefore = maxRssMb();
  const dir = mkdtempSync(join(tmpdir(), 'lake-bench-'));
  const file = join(dir, 'realtime.json');
  writeFileSync(file, body);
  const reads = parseReadResponse(body, { via: 'bench' }).length;
  // Warm up each path once, then alternate rounds.
  endToEnd(body);
  await columnsEndToEnd([body]);
  JSON.parse(body);
  await duckdbCopy(file, join(dir, 'duck.parquet'));
  stages.parse = stages.map = stages.encode = 0;
  columnStages.parse = columnStages.merge = columnStages.encode = 0;
  let bare = 0;
  let e2e = 0;
  let cols = 0;
  let duck = 0;
  let bytes = 0;
  let colBytes = 0;
  const rounds = 3;
  for (let i = 0; i < rounds; i++) {
    bare += timed(() => JSON.parse(body)).s;
    const r = timed(() => endToEnd(body));
    e2e += r.s;
    bytes = r.value.length;
    const c = await timedAsync(() => columnsEndToEnd([body]));
    cols += c.s;
    colBytes = c.value.length;
    duck += (await timedAsync(() => duckdbCopy(file, join(dir, 'duck.parquet')))).s;
  }
  const duckBytes = statSync(join(dir, 'duck.parquet')).size;
  // Peak RSS of the columnar path alone: a child that reads the 25-meter responses from files.
  parts.forEach((part, i) => {
    writeFileSync(join(dir, `part-${String(i).padStart(4, '0')}.json`), part);
  });
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, 'support/columns-ingest.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`support/columns-ingest.ts failed with ${code}`);
  const rss = JSON.parse(out) as { rows: number; quarantined: number; peakRssMb: number; rssBeforeMb: number };
  rmSync(dir, { recursive: true, force: true });
  const perS = (s: number) => ((reads * rounds) / s).toFixed(0);
  console.log(
    `(a) realtime JSON → Parquet, ${meters} meters × 1000 reads = ${reads} readings, ${(body.length / 1e6).toFixed(1)} MB JSON, ${rounds} rounds, 1 core`,
  );
  console.log(`    JSON.parse only:                  ${perS(bare)} readings/s`);
  console.log(
    `    lake path (parse+normalize+map+encode, snappy): ${perS(e2e)} readings/s = ${(bare / e2e).toFixed(2)}× JSON.parse`,
  );
  const share = (x: number) => `${((x / e2e) * 100).toFixed(0)}%`;
  console.log(
    `    lake path by stage: parse+normalize ${share(stages.parse)}, readings → rows ${share(stages.map)}, rows → Parquet ${share(stages.encode)}`,
  );
  console.log(
    `    columnar path (JSON text → typed columns → merge → encode, snappy): ${perS(cols)} readings/s = ${(bare / cols).toFixed(2)}× JSON.parse`,
  );
  const colShare = (x: number) => `${((x / cols) * 100).toFixed(0)}%`;
  console.log(
    `    columnar path by stage: parse into columns ${colShare(columnStages.parse)}, merge order ${colShare(columnStages.merge)}, columns → Parquet ${colShare(columnStages.encode)}`,
  );
  console.log(
    `    DuckDB read_json → COPY parquet (1 thread): ${perS(duck)} readings/s; lake path = ${(duck / e2e).toFixed(2)}× DuckDB, columnar path = ${(duck / cols).toFixed(2)}× DuckDB`,
  );
  console.log(
    `    bytes per reading: lake ${(bytes / reads).toFixed(1)} B (${READING_COLUMNS.length} typed columns), columnar path ${(colBytes / reads).toFixed(1)} B, DuckDB ${(duckBytes / reads).toFixed(1)} B`,
  );
  console.log(
    `    peak RSS: ${maxRssMb().toFixed(0)} MB (${rssBefore.toFixed(0)} MB before the batch work, body generation included)`,
  );
  console.log(
    `    peak RSS, columnar path alone (child process, ${parts.length} response bodies read from files one at a time, ${rss.rows} rows, ${rss.quarantined} quarantined): ${rss.peakRssMb.toFixed(0)} MB (${rss.rssBeforeMb.toFixed(0)} MB at start)`,
  );
}

async function writerChoice(): Promise<void> {
  const body = await realtimeBody(200);
  const rows: LakeRow[] = [];
  for (const r of parseReadResponse(body, { via: 'bench' })) {
    const m = readingToRow(r);
    if ('row' in m) rows.push(m.row);
  }
  const hyparquet = () =>
    new Uint8Array(
      parquetWriteBuffer({
        columnData: READING_COLUMNS.map((c) => ({
          name: c.name,
          data:
            c.type === 'timestamp'
              ? rows.map((r) => (r[c.name] == null ? null : new Date(Number(r[c.name]))))
              : rows.map((r) => r[c.name] ?? null),
          type:
            c.type === 'double'
              ? 'DOUBLE'
              : c.type === 'int'
                ? 'INT32'
                : c.type === 'bool'
                  ? 'BOOLEAN'
                  : c.type === 'timestamp'
                    ? 'TIMESTAMP'
                    : 'STRING',
        })),
      }),
    );
  const arrow = () => encodeRows('realtime', rows);
  arrow();
  hyparquet();
  const results: Record<string, { s: number; bytes: number }> = {
    'apache-arrow + parquet-wasm': { s: 0, bytes: 0 },
    'hyparquet-writer': { s: 0, bytes: 0 },
  };
  for (let i = 0; i < 3; i++) {
    for (const [name, fn] of [
      ['apache-arrow + parquet-wasm', arrow],
      ['hyparquet-writer', hyparquet],
    ] as const) {
      const r = timed(fn);
      results[name]!.s += r.s;
      results[name]!.bytes = r.value.length;
    }
  }
  console.log(
    `(w) writer choice: ${rows.length} rows × ${READING_COLUMNS.length} columns (rows → Parquet bytes, snappy), 3 rounds`,
  );
  for (const [name, r] of Object.entries(results))
    console.log(
      `    ${name.padEnd(28)} ${((rows.length * 3) / r.s).toFixed(0)} rows/s, ${(r.bytes / rows.length).toFixed(1)} B/row`,
    );
  console.log(
    '    parquet-wasm: data page V1 + dictionaries; hyparquet-writer: data page V2 only; @dsnp/parquetjs 1.8.8 not measured (not installed)',
  );
}

const INGEST_BUCKET = 'bench-lake';
const INGEST_BEHIND_MIN = 5;

/** One size of (b): a fresh local EKM cloud and fresh local AWS stand-ins, each in its own process, and one ingest run in a third. */
async function ingestRun(meters: number, latencyMs: number, fresh = false): Promise<IngestRunFigures> {
  const cloud = await startFakeCloudProcess({ meters, latencyMs });
  try {
    const aws = await startLocalAwsProcess({ buckets: [INGEST_BUCKET] });
    try {
      const args = [
        join(__dirname, 'support/realtime-ingest-run.ts'),
        '--meters',
        String(meters),
        '--cloud',
        cloud.url,
        '--s3',
        aws.s3Endpoint,
        '--dynamo',
        aws.dynamoEndpoint,
        '--bucket',
        INGEST_BUCKET,
        '--behind-min',
        String(INGEST_BEHIND_MIN),
        ...(fresh ? ['--fresh'] : []),
      ];
      const child = spawn(process.execPath, [...process.execArgv, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
        // As scripts/bench.sh: the AWS SDK's notice about its own future Node requirement is noise here.
        env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const [code] = (await once(child, 'exit')) as [number];
      if (code !== 0) throw new Error(`support/realtime-ingest-run.ts failed with ${code}`);
      return JSON.parse(out) as IngestRunFigures;
    } finally {
      await aws.stop();
    }
  } finally {
    await cloud.stop();
  }
}

async function ingestBench(sizes: readonly number[], latencyMs: number): Promise<void> {
  console.log(
    `(b) one realtime ingest run per size, cursors ${INGEST_BEHIND_MIN} min behind now (meters read once a minute; the run re-asks a 10-min overlap behind each cursor), ${latencyMs} ms latency on the local EKM cloud, batch 25, 16 connections, 8 shards, chunk size from memoryMb 512; the ingest alone in its process (EKM cloud, s3rver and DynamoDB Local in their own):`,
  );
  const measured: IngestRunFigures[] = [];
  for (const meters of sizes) {
    const r = await ingestRun(meters, latencyMs);
    measured.push(r);
    const extra = [
      r.failedReads ? `${r.failedReads} failed reads` : '',
      r.quarantined ? `${r.quarantined} quarantined` : '',
      r.gaps ? `${r.gaps} gaps healed` : '',
    ].filter(Boolean);
    console.log(
      `    ${String(meters).padStart(7)} meters: ${r.wallS.toFixed(1)} s wall (the ingest call alone; ${r.cpuS.toFixed(1)} CPU s in its process), new reads (${INGEST_BEHIND_MIN}/meter) ${INGEST_BEHIND_MIN * meters}, reads downloaded ${r.reads}, ${r.requests} HTTP requests to EKM, ${r.objects} Parquet objects, ${(r.reads / r.wallS).toFixed(0)} reads/s, peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.rssBeforeMb.toFixed(0)} MB before the run), ${r.chunks} chunks of ≤ ${r.largestChunk} meters${extra.length ? `, ${extra.join(', ')}` : ''}`,
    );
  }
  // A backfill after a long outage (or a first run): every meter returns its whole 1000-read ring.
  const backfill = await ingestRun(200, latencyMs, true);
  console.log(
    `    backfill, 200 meters without cursors (whole rings): ${backfill.wallS.toFixed(1)} s wall, ${backfill.reads} reads, ${backfill.objects} Parquet objects, peak RSS ${backfill.peakRssMb.toFixed(0)} MB of the ingest process (${backfill.rssBeforeMb.toFixed(0)} MB before the run), ${backfill.chunks} chunks of ≤ ${backfill.largestChunk} meters`,
  );
  const basis = measured.reduce((a, b) => (b.meters > a.meters ? b : a));
  const target = 100_000;
  if (basis.meters >= target) return;
  const perMeter = basis.wallS / basis.meters;
  console.log(
    `    ${String(target).padStart(7)} meters: extrapolated, not measured: ${(perMeter * target).toFixed(0)} s wall (${(perMeter * 1000).toFixed(2)} ms per meter in the ${basis.meters}-meter run × ${target}); peak RSS is bounded by the chunk size (≤ ${basis.largestChunk} meters), not the meter count: ${basis.peakRssMb.toFixed(0)} MB in the ${basis.meters}-meter run`,
  );
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  // --quick: a 50-meter batch (about 4× faster) for iterating; report figures from the full batch.
  if (mode === '--batch') return batchBench(process.argv.includes('--quick') ? 50 : 200);
  if (mode === '--ingest') {
    // --meters N: one size only, for iterating.
    const at = process.argv.indexOf('--meters');
    const meters = at > 0 ? Number(process.argv[at + 1]) : undefined;
    if (meters !== undefined && !(Number.isInteger(meters) && meters > 0))
      throw new Error(`--meters wants a positive integer, got ${process.argv[at + 1]}`);
    return ingestBench(meters ? [meters] : [1_000, 10_000], 50);
  }
  if (mode === '--writers') return writerChoice();
  // Each part in its own process so peak RSS belongs to that part alone.
  for (const part of ['--writers', '--batch', '--ingest']) {
    const child = spawn(process.execPath, [...process.execArgv, __filename, part], { stdio: 'inherit' });
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0) throw new Error(`${part} failed with ${code}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

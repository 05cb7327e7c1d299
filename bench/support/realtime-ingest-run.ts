/**
 * Child process of bench/lake.bench.ts (b): one realtime ingest run and nothing else in this process.
 * The local EKM cloud and the local AWS stand-ins run in processes of their own; this one seeds the
 * cursors, runs ONE `openLake(config, { shards: 8, memoryMb: 512 }).ingestRealtime(...)` and prints
 * its figures as one JSON line: wall seconds of the ingest call alone, HTTP requests to EKM, reads
 * downloaded, objects written, chunks, peak RSS of this process and its peak RSS before the run.
 *
 * `node --expose-gc --import tsx bench/support/realtime-ingest-run.ts --meters N --cloud URL --s3 URL --dynamo URL`
 * (`--bucket NAME`, default bench-lake, created by the local AWS process; `--behind-min M`, default 5: how far behind now the cursors are seeded).
 */
import { parseArgs } from 'node:util';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { openLake } from '../../functions/composition/lake';
import { parseProjectConfig } from '../../functions/config/project-config';
import { generateAccount } from '../../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../../local/ekm-cloud/identities';

const TABLE = 'bench-state';

export interface IngestRunFigures {
  readonly meters: number;
  readonly wallS: number;
  /** CPU seconds (user + system) the ingest process spent in the ingest call. */
  readonly cpuS: number;
  readonly requests: number;
  readonly reads: number;
  readonly failedReads: number;
  readonly quarantined: number;
  readonly objects: number;
  readonly gaps: number;
  readonly chunks: number;
  readonly largestChunk: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
}

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      meters: { type: 'string' },
      cloud: { type: 'string' },
      s3: { type: 'string' },
      dynamo: { type: 'string' },
      bucket: { type: 'string', default: 'bench-lake' },
      'behind-min': { type: 'string', default: '5' },
      // A backfill: no cursors, every meter returns its whole ring.
      fresh: { type: 'boolean', default: false },
      'memory-mb': { type: 'string', default: '512' },
    },
  });
  const meters = Number(values.meters);
  const { cloud, s3, dynamo } = values;
  if (!Number.isInteger(meters) || meters < 1 || !cloud || !s3 || !dynamo)
    throw new Error(
      'usage: realtime-ingest-run.ts --meters N --cloud URL --s3 URL --dynamo URL [--bucket NAME] [--behind-min M]',
    );
  const config = parseProjectConfig(
    {
      version: 1,
      ekm: {
        realtimeUrl: cloud,
        summaryUrl: cloud,
        accountUrl: cloud,
        triggerUrl: cloud,
        maxConcurrencyPerHost: 16,
        realtimeBatchSize: 25,
      },
      keys: [{ alias: 'bench', secret: { value: DEMO_ACCOUNT_KEY } }],
      lake: { bucket: values.bucket, endpoint: s3 },
      state: { table: TABLE, endpoint: dynamo },
    },
    'bench',
  );
  await ensureStateTable(dynamoClientFromConfig({ endpoint: dynamo }), TABLE);
  // The chunk size is the wiring's default for a 512 MB Lambda (derived from the memory budget).
  const lake = openLake(config, { shards: 8, memoryMb: Number(values['memory-mb']) });
  // A steady-state run: every meter was ingested `behind-min` minutes ago; the simulated meters
  // read once a minute, so that many new reads per meter wait (a first run would pull 1000 per meter).
  const ids = generateAccount({ meters }).gateways.flatMap((g) => g.meters.map((m) => m.id));
  if (!values.fresh)
    await lake.state.advanceCursors(
      'realtime',
      'bench',
      new Map(ids.map((id) => [id, Date.now() - Number(values['behind-min']) * 60_000])),
      'seed',
    );
  const requestsBefore = lake.requests();
  (globalThis as { gc?: () => void }).gc?.();
  const rssBeforeMb = maxRssMb();
  let chunks = 0;
  let largestChunk = 0;
  let lastDone = 0;
  const t = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const result = await lake.ingestRealtime({
    key: { alias: 'bench', key: DEMO_ACCOUNT_KEY },
    onProgress: (done) => {
      chunks++;
      largestChunk = Math.max(largestChunk, done - lastDone);
      lastDone = done;
    },
  });
  const wallS = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const figures: IngestRunFigures = {
    meters: result.meters,
    wallS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    requests: lake.requests() - requestsBefore,
    reads: result.reads,
    failedReads: result.failedReads,
    quarantined: result.quarantined,
    objects: result.objects,
    gaps: result.gaps.length,
    chunks,
    largestChunk,
    rssBeforeMb,
    peakRssMb: maxRssMb(),
  };
  await lake.close();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });

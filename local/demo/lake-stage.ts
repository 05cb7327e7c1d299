import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { resolveEkmKey } from '../../functions/adapters/ekm/clients';
import { DefaultSecretResolver } from '../../functions/adapters/secret-resolvers';
import { openLake } from '../../functions/composition/lake';
import { loadProjectConfig, type ProjectConfig } from '../../functions/config/project-config';
import { startLocalAws } from '../aws/local-aws';
import type { DemoContext, DemoStage } from './demo-context';
import { type LocalIngestFanOut, startLocalIngestFanOut } from './ingest-fan-out';

/** Add top-level sections to the project config file `npm start` wrote, and load it again. */
function addToConfigFile(file: string, sections: Record<string, unknown>): ProjectConfig {
  const text = readFileSync(file, 'utf8');
  const header = text
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .join('\n');
  const raw = { ...(parse(text) as Record<string, unknown>), ...sections };
  writeFileSync(file, `${header ? `${header}\n` : ''}${stringify(raw)}`);
  return loadProjectConfig(file);
}

/** Bucket and table names of the local stack. */
export const LOCAL_LAKE_BUCKET = 'ekm-lake';
export const LOCAL_STATE_TABLE = 'ekm-state';

/**
 * `npm start` stage: start local AWS (s3rver + DynamoDB Local, state in `.local/aws/`, so cursors
 * and the lake survive between runs), then realtime + summary ingest of the `demo` key into the
 * Parquet lake, compaction, and one SQL query answered by DuckDB over the lake.
 */
export const lakeStage: DemoStage = {
  name: 'Data lake: ingest into Parquet on S3, cursors in DynamoDB, DuckDB query',
  async run(ctx) {
    const base = ctx.local.config;
    if (!base) throw new Error('the lake stage needs the local EKM cloud stage to run first (ctx.local.config)');
    const aws = await startLocalAws({
      stateDir: join(ctx.stateDir, 'aws'),
      ephemeral: false,
      buckets: [LOCAL_LAKE_BUCKET],
    });
    ctx.onClose(() => aws.close());
    ctx.local.s3Endpoint = aws.s3Endpoint;
    ctx.local.dynamoEndpoint = aws.dynamoEndpoint;
    // The config file gets the lake and state table too, so every README command (ingest,
    // compact, query, unlock) runs against this stack while `npm start -- --serve` keeps it up.
    const config: ProjectConfig = addToConfigFile(base.file, {
      lake: { bucket: LOCAL_LAKE_BUCKET, endpoint: aws.s3Endpoint, region: 'us-east-1' },
      state: { table: LOCAL_STATE_TABLE, endpoint: aws.dynamoEndpoint, region: 'us-east-1' },
    });
    ctx.local.config = config;
    await ensureStateTable(dynamoClientFromConfig(config.state ?? {}), LOCAL_STATE_TABLE);
    ctx.log(`local S3 (s3rver) on ${aws.s3Endpoint}, DynamoDB Local on ${aws.dynamoEndpoint}`);

    const lake = openLake(config);
    try {
      const key = await resolveEkmKey(config, 'demo', new DefaultSecretResolver());
      const rt = await lake.ingestRealtime({ key });
      const sm = await lake.ingestSummary({ key });
      const compacted = await lake.compact();
      const cache = join(ctx.stateDir, 'lake-cache', LOCAL_LAKE_BUCKET);
      const synced = await syncLakeToDir(lake.objectStore, lake.prefix, cache);
      const sql =
        "SELECT meter, count(*) AS reads, count(*) FILTER (WHERE NOT good) AS failed, round(max(kWh_Tot) FILTER (WHERE good) - min(kWh_Tot) FILTER (WHERE good), 2) AS kwh_used, round(max(RMS_Watts_Tot), 0) AS peak_w FROM realtime WHERE source = 'realtime' GROUP BY meter ORDER BY meter";
      const q = await queryLakeDir(cache, sql);
      const rel = relative(process.cwd(), cache) || cache;
      return [
        `realtime ingest "demo": ${rt.reads} reads from ${rt.meters} meters (${rt.failedReads} failed reads kept with good=false, ${rt.quarantined} quarantined) → ${rt.objects} Parquet objects; ${rt.gaps.length} gaps${rt.gaps.length ? ` healed with ${rt.gapFillReadings} summary rows` : ''}`,
        `summary ingest "demo": ${sm.buckets} 15-minute buckets, ${new Date(sm.fromMs).toISOString()} → ${new Date(sm.toMs).toISOString()}`,
        `compaction: ${compacted.days.length} day objects written`,
        `lake: ${synced.files} objects in s3://${LOCAL_LAKE_BUCKET} (mirrored to ${rel}); cursors and runs in DynamoDB table ${LOCAL_STATE_TABLE}`,
        'query: reads, failed reads, kWh used and peak W per meter over the lake (DuckDB):',
        ...q.rows.map((r) => `  ${r.meter}  reads=${r.reads} failed=${r.failed} kWh=${r.kwh_used} peakW=${r.peak_w}`),
        `try: npx ekm-pipeline query --lake-dir ${rel} "SELECT count(*) FROM realtime"`,
      ];
    } finally {
      await lake.close();
    }
  },
  // With --serve: pull new reads every minute (the local cloud makes one per meter per minute), fanned
  // out per key as in AWS: one message per key alias on a local queue, each ingested by the same
  // worker as the ingest-realtime-worker Lambda (local/demo/ingest-fan-out.ts).
  schedule: {
    everyMs: 60_000,
    async run(ctx) {
      const config = ctx.local.config;
      if (!config) throw new Error('the lake stage has not run');
      let fanOut = fanOuts.get(ctx);
      if (!fanOut) {
        const started = startLocalIngestFanOut(config, { log: () => undefined });
        fanOuts.set(ctx, started);
        ctx.onClose(() => started.close());
        fanOut = started;
      }
      const before = { ...fanOut.tally };
      const { units } = await fanOut.enqueue();
      await fanOut.poller.idle(5 * 60_000);
      const t = fanOut.tally;
      const q = fanOut.queue;
      const lake = openLake(config);
      try {
        // Each run writes objects of its own (use-cases/write-readings.ts writeRunObject); compaction
        // merges finished days on the same schedule, as the CompactLake Lambda does in AWS.
        const compacted = await lake.compact();
        return `realtime ingest of ${units.length} key(s) through the local queue: ${t.units - before.units} done, ${q.depth} waiting to retry, ${q.deadLetters.length} dead-lettered; ${t.reads - before.reads} reads pulled (10-min overlap included, shown once by the views) from ${t.meters - before.meters} meters → ${t.objects - before.objects} objects; compaction: ${compacted.days.length} day objects written`;
      } finally {
        await lake.close();
      }
    },
  },
};

/** The local ingest queue and its worker of each `--serve` run, started by the first scheduled ingest. */
const fanOuts = new WeakMap<DemoContext, LocalIngestFanOut>();

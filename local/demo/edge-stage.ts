import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { edgeIngestFromConfig } from '../../functions/composition/edge';
import type { ProjectConfig } from '../../functions/config/project-config';
import { decodeRows } from '../../functions/core/parquet/encode';
import { startEdgeIngestServer } from '../aws/edge-ingest-server';
import { type LocalAws, startLocalAws } from '../aws/local-aws';
import type { DemoContext, DemoStage } from './demo-context';

/** The edge workspace's CLI, found through its package (from the sources and from the built CLI alike). */
const EDGE_BIN = require.resolve('ekm-edge-collector/bin/ekm-edge.cjs');
const DEMO_GATEWAY = 'demo-edge';
/** The simulated RS-485 bus: one v4 and one v3 Omnimeter (edge meters, not in the EKM cloud). */
const BUS_METERS = [
  { address: '000300004711', family: 'v4' },
  { address: '000000004712', family: 'v3' },
] as const;
const READS = 6;

function waitForLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout?.on('data', (c: Buffer) => {
      buffered += c.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve(buffered.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`ekm-edge exited with ${code}: ${stderr.trim()}`)));
    child.once('error', reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The lake and state table of earlier stages, or a local AWS of this stage's own. */
async function lakeConfig(ctx: DemoContext): Promise<{ config: ProjectConfig; started?: LocalAws }> {
  const base = ctx.local.config;
  if (!base) throw new Error('no project config: the EKM cloud stage must run first');
  if (base.lake && base.state) return { config: base };
  const aws = await startLocalAws({ buckets: ['ekm-edge-lake'] });
  ctx.onClose(() => aws.close());
  return {
    config: {
      ...base,
      lake: { bucket: 'ekm-edge-lake', endpoint: aws.s3Endpoint },
      state: { table: 'ekm-edge-state', endpoint: aws.dynamoEndpoint },
    },
    started: aws,
  };
}

/**
 * `npm start` stage: the edge collector feeding the lake. Starts the local edge ingest endpoint
 * (gateway-token auth, same use-case as the Lambda), a simulated RS-485 bus of Omnimeters on a pty
 * (socat) with a little line noise, runs `ekm-edge run` against it (spool → batches → endpoint),
 * then reads the gateway's edge readings back from the lake.
 */
export const edgeStage: DemoStage = {
  name: 'Edge collector (simulated RS-485 bus → spool → ingest endpoint → lake)',
  async run(ctx) {
    const { config: lakeCfg, started } = await lakeConfig(ctx);
    // A demo gateway with a fresh token for this run (never printed), unless the config has one.
    const token = randomBytes(24).toString('hex');
    const config: ProjectConfig = {
      ...lakeCfg,
      edge: {
        gateways: [
          ...(lakeCfg.edge?.gateways ?? []).filter((g) => g.id !== DEMO_GATEWAY),
          { id: DEMO_GATEWAY, token: { value: token }, meters: BUS_METERS.map((m) => m.address) },
        ],
      },
    };
    const server = await startEdgeIngestServer({ ingest: await edgeIngestFromConfig(config) });
    ctx.onClose(() => server.close());
    ctx.local.edgeIngestUrl = server.url;

    const sim = spawn(
      process.execPath,
      [
        EDGE_BIN,
        'simulate',
        '--json',
        '--fault',
        'noise:5',
        '--meters',
        BUS_METERS.map((m) => `${m.address}:${m.family}`).join(','),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    ctx.onClose(() => stopChild(sim));
    const { port } = JSON.parse(await waitForLine(sim)) as { port: string };

    const dir = join(ctx.stateDir, 'edge');
    mkdirSync(dir, { recursive: true });
    // The spool persists across runs like on a real gateway (its random id keeps batch ids unique).
    const spool = join(dir, 'spool.db');
    const edgeYaml = join(dir, 'edge.yaml');
    writeFileSync(
      edgeYaml,
      [
        '# Written by npm start: the edge collector on the simulated bus (token from EKM_EDGE_TOKEN).',
        `gateway: ${DEMO_GATEWAY}`,
        `port: ${port}`,
        'meters:',
        ...BUS_METERS.map((m) => `  - { address: "${m.address}", family: ${m.family} }`),
        'schedule: { bEvery: 2 }',
        `spool: ${spool}`,
        `uplink: { endpoint: "${server.url}", token: { env: EKM_EDGE_TOKEN }, batchSize: 4, intervalMs: 500 }`,
        '',
      ].join('\n'),
    );
    const env = { ...process.env, EKM_EDGE_TOKEN: token };
    const started2 = Date.now();
    const run = spawn(process.execPath, [EDGE_BIN, 'run', '--config', edgeYaml, '--max-reads', String(READS)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const summary = JSON.parse(await waitForLine(run)) as {
      reads: number;
      failures: number;
      uploaded: number;
      rejectedBatches: number;
      spool: { pending: number; rejected: number };
    };
    const runMs = Date.now() - started2;

    const store = S3ObjectStore.fromConfig(config.lake!);
    const keys = (await store.list(''))
      .map((o) => o.key)
      .filter((k) => k.includes('dataset=realtime/') && k.includes(`origin=${DEMO_GATEWAY}/`));
    const rows = [];
    for (const key of keys) rows.push(...decodeRows((await store.get(key))!));
    const edgeRows = rows.filter((r) => r.source === 'edge');
    const thisRun = edgeRows.filter((r) => Number(r.time) >= started2);
    // Batch objects are named by a hash, not by time: pick the newest read by its time.
    const latest = edgeRows
      .filter((r) => r.meter === BUS_METERS[0].address)
      .sort((a, b) => Number(a.time) - Number(b.time))
      .at(-1);

    if (ctx.serve) {
      // Keep polling the bus while the stack is served.
      const forever = spawn(process.execPath, [EDGE_BIN, 'run', '--config', edgeYaml], { env, stdio: 'ignore' });
      ctx.onClose(() => stopChild(forever));
    }
    return [
      `edge ingest endpoint at ${server.url} (gateway "${DEMO_GATEWAY}", bearer token auth)${started ? '; own local S3 + DynamoDB (no lake stage ran)' : ''}`,
      `simulated RS-485 bus on ${port}: ${BUS_METERS.map((m) => `${m.address}/${m.family}`).join(', ')} (9600 baud 7E1 pacing, noise every 5th reply)`,
      `ekm-edge run: ${summary.reads} reads (${summary.failures} failed) in ${runMs} ms incl. start-up, ${summary.uploaded} uploaded, ${summary.rejectedBatches} batches refused, ${summary.spool.pending} left in the spool (${edgeYaml})`,
      `lake: ${thisRun.length} edge readings from this run (${edgeRows.length} in all; source=edge, via=${DEMO_GATEWAY}) in ${keys.length} object(s), e.g. ${keys[0] ?? '-'}`,
      `latest ${BUS_METERS[0].address}: kWh_Tot=${latest?.kWh_Tot ?? '?'}, RMS_Watts_Tot=${latest?.RMS_Watts_Tot ?? '?'} W, CT_Ratio=${latest?.CT_Ratio ?? '?'}`,
    ];
  },
};

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoIngestState } from '../../functions/adapters/dynamo-ingest-state';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import type { Clock } from '../../functions/ports/clock';
import { makeIngestRealtime } from '../../functions/use-cases/ingest-realtime';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';

/**
 * Run leases against DynamoDB Local: a run killed with SIGKILL mid-run (a real child process)
 * blocks the next one for at most one lease length, its RUN item does not stay "running", and
 * `ekm-pipeline unlock` releases it at once.
 */
const ROOT = join(__dirname, '../..');
const CHILD = join(__dirname, '../fixtures/children/hold-ingest-lease.ts');
const KEY = { alias: 'demo', key: 'not-used' };
let aws: LocalAws;
let tableN = 0;

jest.setTimeout(60_000);

beforeAll(async () => {
  aws = await startLocalAws({});
}, 60_000);
afterAll(async () => aws?.close());

async function freshState(): Promise<{ state: DynamoIngestState; table: string }> {
  const table = `lease-${++tableN}`;
  const ddb = dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
  await ensureStateTable(ddb, table);
  return { state: new DynamoIngestState(ddb, table), table };
}

function ingestWith(
  state: DynamoIngestState,
  clock: Clock,
  extra: { lockTtlMs?: number; lockRenewEveryMs?: number; readMs?: number } = {},
) {
  return makeIngestRealtime({
    account: {
      meters: async () => [{ meter: '000350000900', gateway: '4016fa0500cd', protocol: 'v4' }],
      gateways: async () => [],
    },
    realtime: { read: async () => (extra.readMs ? new Promise((r) => setTimeout(() => r([]), extra.readMs)) : []) },
    summary: { read: async () => [] },
    lake: makeLakeWriter({ objectStore: new InMemoryObjectStore(), prefix: 'lake', clock }),
    state,
    clock,
    ...(extra.lockTtlMs ? { lockTtlMs: extra.lockTtlMs } : {}),
    ...(extra.lockRenewEveryMs ? { lockRenewEveryMs: extra.lockRenewEveryMs } : {}),
  });
}

/** Start an ingest in a child process, wait until it holds the lease, then SIGKILL it. */
async function crashedRun(table: string, runId: string): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, aws.dynamoEndpoint, table, runId], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('leased')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code} before taking the lease`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('ingest run leases (DynamoDB Local)', () => {
  it('fails when a killed run still holds the lease only until the lease lapses (≤ 60 s), then takes over and marks the dead run failed', async () => {
    // Prepare: a run killed with SIGKILL while it held the lease.
    const { state, table } = await freshState();
    await crashedRun(table, 'killed-run');
    const t0 = Date.now();
    // Act 1: right away, the lease is still the dead run's.
    const soon = ingestWith(state, { now: () => t0 + 1000 });
    await expect(soon({ key: KEY })).rejects.toThrow(
      /run killed-run.*expires within 60 s.*ekm-pipeline unlock --key-alias demo/,
    );
    // Act 2: one lease length later (no renewal came), the next run takes it over.
    const later = await ingestWith(state, { now: () => t0 + 61_000 })({ key: KEY });
    // Assess
    const runs = await state.listRuns('demo');
    expect(runs.find((r) => r.runId === 'killed-run')).toMatchObject({
      status: 'failed',
      summary: { error: expect.stringContaining('abandoned') },
    });
    expect(runs.find((r) => r.runId === later.runId)).toMatchObject({ status: 'ok' });
    expect(await state.getLock('ingest-realtime#demo')).toBeUndefined();
  });

  it('renews the lease while a run works, so a run longer than the lease keeps it', async () => {
    // Prepare
    const { state } = await freshState();
    const clock = { now: () => Date.now() };
    // Act: a 1.5 s run with a 400 ms lease renewed every 100 ms; someone else tries at 900 ms.
    const run = ingestWith(state, clock, { lockTtlMs: 400, lockRenewEveryMs: 100, readMs: 1500 })({ key: KEY });
    await new Promise((r) => setTimeout(r, 900));
    const intruder = await state.acquireLock('ingest-realtime#demo', 'intruder', 400, Date.now());
    const result = await run;
    // Assess
    expect(intruder).toBe(false);
    expect((await state.listRuns('demo')).find((r) => r.runId === result.runId)).toMatchObject({ status: 'ok' });
    expect(await state.getLock('ingest-realtime#demo')).toBeUndefined();
  });
});

describe('ekm-pipeline unlock (real process, DynamoDB Local)', () => {
  it('releases a dead run lease with --force, confirms what it released, and the next run starts at once', async () => {
    // Prepare
    const { state, table } = await freshState();
    await crashedRun(table, 'killed-run-2');
    const dir = mkdtempSync(join(tmpdir(), 'ekm-unlock-'));
    const config = join(dir, 'ekm-pipeline.yaml');
    writeFileSync(
      config,
      `version: 1\nkeys:\n  - alias: demo\n    secret: { value: not-used-key }\nstate: { table: ${table}, endpoint: "${aws.dynamoEndpoint}" }\n`,
    );
    // Act 1: without --force an unexpired lease is kept (its run may be alive).
    const kept = await cli(['unlock', '--key-alias', 'demo', '--config', config]);
    // Act 2: --force releases it.
    const released = await cli(['unlock', '--key-alias', 'demo', '--config', config, '--force', '--json']);
    // Assess
    expect(kept.code).toBe(1);
    expect(kept.stdout).toContain('ingest-realtime#demo: kept (run killed-run-2');
    expect(kept.stderr).toMatch(/--force/);
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout)).toMatchObject({
      alias: 'demo',
      leases: [
        { name: 'ingest-realtime#demo', owner: 'killed-run-2', expired: false, released: true },
        { name: 'ingest-summary#demo', released: false },
      ],
      runsFailed: [{ runId: 'killed-run-2', job: 'ingest-realtime' }],
      kept: [],
    });
    const next = await ingestWith(state, { now: () => Date.now() })({ key: KEY });
    expect(next.alias).toBe('demo');
    expect((await state.listRuns('demo')).find((r) => r.runId === 'killed-run-2')?.status).toBe('failed');
  });

  it('documents itself in --help', async () => {
    const r = await cli(['unlock', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--key-alias', '--force', '--json', '--config']) expect(r.stdout).toContain(flag);
  });
});

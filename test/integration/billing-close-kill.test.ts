import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DynamoBillingStore } from '../../functions/adapters/dynamo-billing-store';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import type { ObjectStore } from '../../functions/ports/object-store';
import type { CloseStep } from '../../functions/use-cases/close-billing-month';
import { makeCloseBillingMonth } from '../../functions/use-cases/close-billing-month';
import { makeDraftBillingMonth } from '../../functions/use-cases/draft-billing-month';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { closeSources, reads } from '../fixtures/billing/close-fixture';

/**
 * The monthly close killed with SIGKILL (a real child process, nothing after the kill runs: no
 * `finally`, no lease release) at a step, then run again in this process: it waits out the dead
 * run's lease and converges (numbers 1..3, closed invoices unchanged, every file published).
 */
const ROOT = join(__dirname, '../..');
const CHILD = join(__dirname, '../fixtures/children/close-billing-until.ts');
const NOW = Date.parse('2026-04-02T06:00:00Z');
let aws: LocalAws;
let n = 0;

jest.setTimeout(60_000);

beforeAll(async () => {
  aws = await startLocalAws({ buckets: ['invoices'] });
}, 60_000);
afterAll(async () => aws?.close());

async function killedAt(table: string, prefix: string, step: CloseStep, detail: string): Promise<void> {
  const args = [aws.dynamoEndpoint, aws.s3Endpoint, table, prefix, 'elm', '2026-03', step, detail, String(NOW)];
  const child: ChildProcess = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('paused')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the close exited (${code}) before ${step} ${detail}: ${out}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('monthly close killed with SIGKILL (DynamoDB Local + local S3)', () => {
  it.each([
    ['between invoice writes', 'after-freeze', 'b'],
    ['half-way through publishing', 'after-publish-file', 'ELM-2026-03-0001'],
  ] as const)('converges after a kill -9 %s', async (_what, step, detail) => {
    // Prepare: March of elm drafted
    const table = `billing-kill-${++n}`;
    const prefix = `kill-${n}`;
    const ddb = dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
    await ensureStateTable(ddb, table);
    const store = new DynamoBillingStore(ddb, table);
    const s3 = S3ObjectStore.fromConfig({ bucket: 'invoices', endpoint: aws.s3Endpoint });
    const objects: ObjectStore = {
      put: (k, b, c) => s3.put(`${prefix}/${k}`, b, c),
      get: (k) => s3.get(`${prefix}/${k}`),
      list: (p) => s3.list(`${prefix}/${p}`),
      delete: (keys) => s3.delete(keys.map((k) => `${prefix}/${k}`)),
    };
    const clock = { now: () => NOW };
    await makeDraftBillingMonth({ ...closeSources({ reads: reads(() => 1) }), store, clock })({
      month: '2026-03',
      property: 'elm',
    });
    // Act: killed mid-close; the next run is refused while the dead lease lasts, then converges
    await killedAt(table, prefix, step, detail);
    const before = await store.listClosed('elm', '2026-03');
    const close = (t: number) =>
      makeCloseBillingMonth({ store, objects, clock: { now: () => t }, owner: 'next' })({
        property: 'elm',
        month: '2026-03',
      });
    await expect(close(NOW + 1_000)).rejects.toMatchObject({ code: 'BILLING_LOCKED' });
    const result = await close(NOW + 61_000);
    // Assess
    expect(before.length).toBeGreaterThan(0);
    expect(result.invoices.map((i) => i.number)).toEqual(['ELM-2026-03-0001', 'ELM-2026-03-0002', 'ELM-2026-03-0003']);
    expect((await store.listNumbers('elm')).map((x) => x.seq)).toEqual([1, 2, 3]);
    const after = await store.listClosed('elm', '2026-03');
    for (const d of before) expect(after.find((x) => x.key === d.key)).toEqual(d);
    expect((await objects.list('invoices/elm/2026-03/')).map((o) => o.key.slice(prefix.length + 1))).toEqual([
      'invoices/elm/2026-03/ELM-2026-03-0001.html',
      'invoices/elm/2026-03/ELM-2026-03-0001.json',
      'invoices/elm/2026-03/ELM-2026-03-0002.html',
      'invoices/elm/2026-03/ELM-2026-03-0002.json',
      'invoices/elm/2026-03/ELM-2026-03-0003.html',
      'invoices/elm/2026-03/ELM-2026-03-0003.json',
      'invoices/elm/2026-03/invoices-elm-2026-03.csv',
    ]);
    expect(await store.getMonth('elm', '2026-03')).toMatchObject({ status: 'closed', published: true, invoices: 3 });
  });
});

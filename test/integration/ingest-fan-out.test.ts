import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { openLake } from '../../functions/composition/lake';
import { parseProjectConfig } from '../../functions/config/project-config';
import { parseIngestUnit } from '../../functions/core/ekm/ingest-units';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { startLocalIngestFanOut } from '../../local/demo/ingest-fan-out';
import { generateAccount, mintKey } from '../../local/ekm-cloud/generate-account';
import { type FakeCloud, startFakeCloud } from '../../local/ekm-cloud/server';
import { storedRows, visibleRows } from '../fakes/lake-visible';

/**
 * Realtime ingest fanned out per key, end to end on real local parts: the local EKM cloud, s3rver
 * and DynamoDB Local, the local ingest queue with SQS semantics and the worker the
 * ingest-realtime-worker Lambda runs. Three keys: two gateways' keys and one the cloud refuses.
 */
const base = generateAccount({ meters: 6, metersPerGateway: 3 });
const [gw1, gw2] = base.gateways as [(typeof base.gateways)[0], (typeof base.gateways)[0]];
const SITE_A_KEY = mintKey('fan-out-site-a');
const SITE_B_KEY = mintKey('fan-out-site-b');
const REVOKED_KEY = mintKey('fan-out-revoked');
const account = {
  ...base,
  keys: [
    { key: SITE_A_KEY, kind: 'gateway' as const, scope: gw1.mac },
    { key: SITE_B_KEY, kind: 'gateway' as const, scope: gw2.mac },
  ],
};
const SECRETS = [SITE_A_KEY, SITE_B_KEY, REVOKED_KEY];
let aws: LocalAws;
let cloud: FakeCloud;

beforeAll(async () => {
  [aws, cloud] = await Promise.all([
    startLocalAws({ buckets: ['fan-out-lake', 'fan-out-parts'] }),
    startFakeCloud({ account, seed: 17 }),
  ]);
  const ddb = dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
  await ensureStateTable(ddb, 'fan-out-state');
  await ensureStateTable(ddb, 'fan-out-parts-state');
}, 60_000);
afterAll(async () => {
  await Promise.all([aws?.close(), cloud?.close()]);
});

describe('realtime ingest fanned out per key over the local queue', () => {
  it('retries the refused key until it is dead-lettered; the other keys land in the lake once, no secret logged', async () => {
    // Prepare
    const config = parseProjectConfig(
      {
        version: 1,
        ekm: { realtimeUrl: cloud.url, summaryUrl: cloud.url, accountUrl: cloud.url, triggerUrl: cloud.url },
        keys: [
          { alias: 'site-a', secret: { value: SITE_A_KEY } },
          { alias: 'revoked', secret: { value: REVOKED_KEY } },
          { alias: 'site-b', secret: { value: SITE_B_KEY } },
        ],
        lake: { bucket: 'fan-out-lake', prefix: 'lake', endpoint: aws.s3Endpoint },
        state: { table: 'fan-out-state', endpoint: aws.dynamoEndpoint },
      },
      'fan-out-test.yaml',
    );
    const logged: string[] = [];
    const capture = (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    };
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation(capture),
    );
    const workerLines: string[] = [];
    const fanOut = startLocalIngestFanOut(config, {
      visibilityTimeoutMs: 300,
      maxReceiveCount: 3,
      batchSize: 2,
      maxConcurrency: 2,
      pollIntervalMs: 20,
      log: (line) => {
        workerLines.push(line);
        logged.push(line);
      },
      onWorkerError: capture,
    });
    const lake = openLake(config);
    try {
      // Act: the schedule's enqueue step, then the poller works the queue until it is empty
      const { units } = await fanOut.enqueue();
      await fanOut.poller.drained(20_000);
      // Assess: one message per key; the refused one received 3 times, then dead-lettered
      expect(units.map((u) => u.keyAlias)).toEqual(['revoked', 'site-a', 'site-b']);
      const outcomes = workerLines.map((line) => JSON.parse(line) as { messageId: string; ok: boolean });
      const aliasOf = new Map<string, string>();
      for (const m of fanOut.queue.deadLetters) aliasOf.set(m.messageId, parseIngestUnit(m.body).keyAlias);
      expect(fanOut.queue.deadLetters.map((m) => [parseIngestUnit(m.body).keyAlias, m.receiveCount])).toEqual([
        ['revoked', 3],
      ]);
      const failed = outcomes.filter((o) => !o.ok);
      expect(failed).toHaveLength(3);
      expect(failed.every((o) => aliasOf.get(o.messageId) === 'revoked')).toBe(true);
      expect((failed[0] as { error?: string }).error).toMatch(/^revoked: .*HTTP 401/);
      const done = outcomes.filter((o) => o.ok);
      expect(done).toHaveLength(2);
      expect(new Set(done.map((o) => o.messageId)).size).toBe(2);
      expect(fanOut.queue.stats).toMatchObject({ sent: 3, received: 5, deleted: 2, deadLettered: 1 });
      expect(fanOut.tally.units).toBe(2);
      // Assess: both good keys' meters are in the lake, each read stored exactly once
      const stored = await expectEveryMeterEachReadOnce(lake.objectStore);
      expect((await visibleRows(lake.objectStore, 'lake/dataset=realtime/')).length).toBe(stored.length);
      expect(fanOut.tally.reads).toBe(stored.length);
      // Assess: no secret in any logged line (worker lines, run summaries, warnings)
      expect(logged.length).toBeGreaterThan(5);
      for (const line of logged) for (const secret of SECRETS) expect(line).not.toContain(secret);
    } finally {
      await fanOut.close();
      await lake.close();
      for (const spy of spies) spy.mockRestore();
    }
  }, 30_000);

  /** The good keys' meters are all in the lake, each realtime read stored exactly once; returns those rows. */
  async function expectEveryMeterEachReadOnce(store: Parameters<typeof storedRows>[0]) {
    const stored = (await storedRows(store, 'lake/dataset=realtime/')).filter((r) => r.source === 'realtime');
    const ids = stored.map((r) => `${r.meter}@${r.time}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...new Set(stored.map((r) => r.meter))].sort()).toEqual(
      [...gw1.meters, ...gw2.meters].map((m) => m.id).sort(),
    );
    return stored;
  }

  /** A project on the shared lake bucket and state table, its local fan-out (worker log lines kept) and its lake. */
  function startParts(keys: readonly Record<string, unknown>[], file: string) {
    const config = parseProjectConfig(
      {
        version: 1,
        ekm: { realtimeUrl: cloud.url, summaryUrl: cloud.url, accountUrl: cloud.url, triggerUrl: cloud.url },
        keys,
        lake: { bucket: 'fan-out-parts', prefix: 'lake', endpoint: aws.s3Endpoint },
        state: { table: 'fan-out-parts-state', endpoint: aws.dynamoEndpoint },
      },
      file,
    );
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const lines: string[] = [];
    const fanOut = startLocalIngestFanOut(config, {
      visibilityTimeoutMs: 300,
      pollIntervalMs: 20,
      log: (line) => lines.push(line),
    });
    return { log, lines, fanOut, lake: openLake(config) };
  }

  it('splits a key with realtimeShards into one message per part; together the parts land every meter once', async () => {
    // Prepare: the first gateway's key split in two parts, the second's whole
    const { log, lines, fanOut, lake } = startParts(
      [
        { alias: 'site-a', secret: { value: SITE_A_KEY }, realtimeShards: 2 },
        { alias: 'site-b', secret: { value: SITE_B_KEY } },
      ],
      'fan-out-parts.yaml',
    );
    try {
      // Act
      const { units } = await fanOut.enqueue();
      await fanOut.poller.drained(20_000);
      // Assess
      expect(units).toEqual([
        { keyAlias: 'site-a', shard: { index: 0, count: 2 } },
        { keyAlias: 'site-a', shard: { index: 1, count: 2 } },
        { keyAlias: 'site-b' },
      ]);
      expect(lines.map((l) => (JSON.parse(l) as { ok: boolean }).ok)).toEqual([true, true, true]);
      expect(fanOut.queue.deadLetters).toEqual([]);
      const runs = await lake.state.listRuns('site-a');
      expect(runs.map((r) => r.status)).toEqual(['ok', 'ok']);
      const stored = await expectEveryMeterEachReadOnce(lake.objectStore);
      expect(fanOut.tally.reads).toBe(stored.length);
    } finally {
      await fanOut.close();
      await lake.close();
      log.mockRestore();
    }
  }, 30_000);

  it('counts a key whose lease another run holds as done (skipped), not failed: no retry, no dead letter', async () => {
    // Prepare: a run of site-b holds its lease (an earlier message still working, or compaction)
    const { log, lines, fanOut, lake } = startParts(
      [{ alias: 'site-b', secret: { value: SITE_B_KEY } }],
      'fan-out-busy.yaml',
    );
    await lake.state.acquireLock('ingest-realtime#site-b', 'another-run', 60_000, Date.now());
    try {
      // Act
      await fanOut.enqueue();
      await fanOut.poller.drained(10_000);
      // Assess
      expect(lines.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({
          ok: true,
          result: { results: [expect.objectContaining({ alias: 'site-b', skipped: 'lease held' })] },
        }),
      ]);
      expect(fanOut.queue.stats).toMatchObject({ received: 1, deleted: 1, deadLettered: 0 });
    } finally {
      await lake.state.releaseLock('ingest-realtime#site-b', 'another-run');
      await fanOut.close();
      await lake.close();
      log.mockRestore();
    }
  }, 30_000);
});

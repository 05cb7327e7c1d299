import {
  authenticateGateway,
  constantTimeEqual,
  EDGE_LIMITS,
  type EdgeGateway,
  type EdgeRefusal,
  isRefusal,
  validateEdgeBatch,
} from '../../functions/core/edge/edge-batch';
import { makeIngestEdgeBatch } from '../../functions/use-cases/ingest-edge-batch';
import { makeEdgeBatchLake } from '../../functions/use-cases/write-readings';
import { InMemoryEdgeReceipts } from '../fakes/in-memory-edge-receipts';
import { InMemoryIngestState } from '../fakes/in-memory-ingest-state';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { readWithHyparquet } from '../fakes/lake-readers';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const GW: EdgeGateway = { id: 'site-1', token: 'tok-site-1-secret', meters: ['000300001463', '000000000026'] };
const OTHER: EdgeGateway = { id: 'site-2', token: 'tok-site-2-secret', meters: ['000300009999'] };

function reading(overrides: Record<string, unknown> = {}) {
  return {
    meter: '000300001463',
    timeMs: NOW - 60_000,
    good: true,
    protocol: 'v4',
    source: 'edge',
    via: 'site-1',
    fields: {
      kWh_Tot: 45.41,
      RMS_Volts_Ln_1: 121.1,
      Cos_Theta_Ln_1: '0.99 C',
      Meter_Time: '15090103100622',
      State_Out: 3,
    },
    ...overrides,
  };
}

function batch(readings: unknown[], overrides: Record<string, unknown> = {}) {
  return { gateway: 'site-1', batchId: 'site-1-000000000001-000000000002', readings, ...overrides };
}

function refused(result: object): EdgeRefusal {
  expect(isRefusal(result)).toBe(true);
  return result as EdgeRefusal;
}

describe('authenticateGateway', () => {
  it('finds the gateway of a bearer token', () => {
    expect(authenticateGateway('Bearer tok-site-2-secret', [GW, OTHER])).toBe(OTHER);
  });

  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer nope'],
    ['a token prefix', 'Bearer tok-site-1'],
    ['basic auth', 'Basic dG9rLXNpdGUtMS1zZWNyZXQ='],
  ])('fails with 401 on %s, never echoing the token', (_what, header) => {
    const r = refused(authenticateGateway(header, [GW, OTHER]));
    expect(r.status).toBe(401);
    expect(JSON.stringify(r)).not.toContain('tok-site');
  });

  it('compares tokens exactly', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
  });
});

describe('validateEdgeBatch', () => {
  it('accepts a valid batch as edge readings of the gateway', () => {
    const out = validateEdgeBatch(batch([reading(), reading({ meter: '000000000026', protocol: 'v3' })]), {
      gateway: GW,
      nowMs: NOW,
    });
    expect(isRefusal(out)).toBe(false);
    expect(out).toMatchObject({
      gateway: 'site-1',
      readings: [{ source: 'edge', via: 'site-1' }, { meter: '000000000026' }],
    });
  });

  it.each([
    ['a meter of another gateway', [reading({ meter: '000300009999' })], 403, 'readings[0].meter'],
    ['another via', [reading({ via: 'site-2' })], 403, 'readings[0].via'],
    ['a short meter id', [reading({ meter: '300001463' })], 400, 'readings[0].meter'],
    ['seconds instead of ms', [reading({ timeMs: 1.5 })], 400, 'readings[0].timeMs'],
    ['a reading 401 days old', [reading({ timeMs: NOW - 401 * 86_400_000 })], 400, 'readings[0].timeMs'],
    ['a reading 10 minutes ahead', [reading({ timeMs: NOW + 600_000 })], 400, 'readings[0].timeMs'],
    ['source realtime', [reading({ source: 'realtime' })], 400, 'readings[0].source'],
    ['good as a string', [reading({ good: 'yes' })], 400, 'readings[0].good'],
    ['protocol v9', [reading({ protocol: 'v9' })], 400, 'readings[0].protocol'],
    ['no fields', [reading({ fields: {} })], 400, 'readings[0].fields'],
    ['a NaN field', [reading({ fields: { kWh_Tot: null } })], 400, 'readings[0].fields.kWh_Tot'],
    ['a long text field', [reading({ fields: { Meter_Time: 'x'.repeat(65) } })], 400, 'readings[0].fields.Meter_Time'],
    ['a bad field name', [reading({ fields: { 'kWh Tot': 1 } })], 400, 'readings[0].fields'],
    ['an unknown property', [reading({ secret: 1 })], 400, 'readings[0].secret'],
    ['the same reading twice', [reading(), reading()], 400, 'readings[1]'],
    ['a value the lake cannot type', [reading({ fields: { kWh_Tot: 'lots' } })], 400, 'readings[0]'],
    ['no readings', [], 400, 'readings'],
  ])('fails on %s', (_what, readings, status, path) => {
    const r = refused(validateEdgeBatch(batch(readings), { gateway: GW, nowMs: NOW }));
    expect(r.status).toBe(status);
    expect(r.issues?.map((i) => i.path)).toContain(path);
  });

  it('fails with 403 when posting as another gateway', () => {
    const r = refused(validateEdgeBatch(batch([reading()], { gateway: 'site-2' }), { gateway: GW, nowMs: NOW }));
    expect(r).toMatchObject({ status: 403, issues: [{ path: 'gateway' }] });
  });

  it('fails when the Idempotency-Key differs from the batch id', () => {
    const r = refused(validateEdgeBatch(batch([reading()]), { gateway: GW, nowMs: NOW, idempotencyKey: 'other' }));
    expect(r.issues?.[0]?.path).toBe('Idempotency-Key');
  });

  it('fails on more readings than the limit', () => {
    const many = Array.from({ length: EDGE_LIMITS.maxReadings + 1 }, (_, i) => reading({ timeMs: NOW - i * 1000 }));
    expect(refused(validateEdgeBatch(batch(many), { gateway: GW, nowMs: NOW })).issues?.[0]?.message).toContain(
      'at most 1000',
    );
  });

  it('lists every problem, up to the limit', () => {
    const bad = Array.from({ length: 30 }, (_, i) => reading({ timeMs: NOW - i * 1000, meter: 'x' }));
    expect(refused(validateEdgeBatch(batch(bad), { gateway: GW, nowMs: NOW })).issues).toHaveLength(
      EDGE_LIMITS.maxIssues,
    );
  });
});

describe('ingestEdgeBatch (use-case, in-memory lake)', () => {
  const setup = () => {
    const store = new InMemoryObjectStore();
    const receipts = new InMemoryEdgeReceipts();
    const locks = new InMemoryIngestState();
    const ingest = makeIngestEdgeBatch({
      locks,
      gateways: [GW, OTHER],
      lake: makeEdgeBatchLake({ objectStore: store }),
      receipts,
      clock: { now: () => NOW },
    });
    return { store, receipts, locks, ingest };
  };
  const auth = `Bearer ${GW.token}`;

  it('writes the batch to the lake with source = edge and acknowledges it once', async () => {
    // Prepare
    const { store, receipts, ingest } = setup();
    const body = JSON.stringify(batch([reading(), reading({ timeMs: NOW - 30_000 })]));
    // Act
    const first = await ingest({ authorization: auth, idempotencyKey: 'site-1-000000000001-000000000002', body });
    const again = await ingest({ authorization: auth, idempotencyKey: 'site-1-000000000001-000000000002', body });
    // Assess
    expect(first).toMatchObject({ status: 200, body: { accepted: 2, duplicate: false } });
    expect(again).toMatchObject({ status: 200, body: { accepted: 2, duplicate: true } });
    expect(receipts.items.size).toBe(1);
    const keys = [...store.objects.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain('site-1');
    const rows = await readWithHyparquet(store.objects.get(keys[0]!)!);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ meter: '000300001463', source: 'edge', via: 'site-1' });
  });

  it('fails with 409 when a batch id is reused with other readings', async () => {
    const { ingest } = setup();
    await ingest({ authorization: auth, body: JSON.stringify(batch([reading()])) });
    const out = await ingest({
      authorization: auth,
      body: JSON.stringify(batch([reading({ fields: { kWh_Tot: 1 } })])),
    });
    expect(out).toMatchObject({ status: 409, body: { error: 'BATCH_ID_REUSED' } });
  });

  it('answers 503 while another delivery of the gateway holds its lock, then takes the batch', async () => {
    const { store, locks, ingest } = setup();
    expect(await locks.acquireLock('edge-ingest-site-1', 'someone-else', 60_000, NOW)).toBe(true);
    const body = JSON.stringify(batch([reading()]));
    expect(await ingest({ authorization: auth, body })).toMatchObject({ status: 503, body: { error: 'BUSY' } });
    expect(store.objects.size).toBe(0);
    await locks.releaseLock('edge-ingest-site-1', 'someone-else');
    expect((await ingest({ authorization: auth, body })).status).toBe(200);
    // The lock is released after the write: the next batch goes through too.
    expect(
      (
        await ingest({
          authorization: auth,
          body: JSON.stringify(batch([reading({ timeMs: NOW - 1 })], { batchId: 'b2' })),
        })
      ).status,
    ).toBe(200);
  });

  it('writes nothing for refused batches', async () => {
    const { store, ingest } = setup();
    expect((await ingest({ body: JSON.stringify(batch([reading()])) })).status).toBe(401);
    expect((await ingest({ authorization: auth, body: '{not json' })).status).toBe(400);
    expect(
      (
        await ingest({
          authorization: auth,
          body: JSON.stringify(batch([reading(), reading({ meter: '000300009999' })])),
        })
      ).status,
    ).toBe(403);
    expect((await ingest({ authorization: auth, body: ' '.repeat(EDGE_LIMITS.maxBodyBytes + 1) })).status).toBe(413);
    expect(store.objects.size).toBe(0);
  });
});

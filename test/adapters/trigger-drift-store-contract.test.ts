import { DynamoTriggerDriftStore } from '../../functions/adapters/dynamo-trigger-drift-store';
import type { DriftRecord, TriggerDriftStore } from '../../functions/ports/trigger-drift-store';
import { dynamoLocalForContract } from '../fakes/dynamo-contract';
import { InMemoryTriggerDriftStore } from '../fakes/in-memory-trigger-drift-store';

// One contract, two implementations (ports/trigger-drift-store.ts): the fake used by fast tests must
// keep the same rules as the DynamoDB store the product runs on.
const freshTable = dynamoLocalForContract('drift-contract');
const implementations: [string, () => Promise<TriggerDriftStore>][] = [
  ['in memory', async () => new InMemoryTriggerDriftStore()],
  [
    'DynamoDB Local',
    async () => {
      const { ddb, table } = await freshTable();
      return new DynamoTriggerDriftStore(ddb, table);
    },
  ],
];

const T0 = Date.UTC(2026, 2, 1, 6);
const drift = (gateway: string, checkedAtMs: number, extra: Partial<DriftRecord> = {}): DriftRecord => ({
  gateway,
  checkedAtMs,
  file: 's3://bucket/config/triggers.yaml',
  keyAlias: 'elm',
  drift: 2,
  remaining: 2,
  autoApplied: false,
  summary: { create: 1, update: 1, replace: 0, delete: 0, unchanged: 3, unmanaged: 0 },
  changes: [
    { action: 'create', name: 'high-load' },
    { action: 'update', name: 'low-volts', uuid: 'u-1', paths: ['threshold'] },
  ],
  ...extra,
});

describe.each(implementations)('trigger drift store contract: %s', (_name, make) => {
  let store: TriggerDriftStore;
  beforeEach(async () => {
    store = await make();
  });

  it('has no latest check for a gateway never checked', async () => {
    expect(await store.latest('40:16:FA:05:00:CD')).toBeUndefined();
  });

  it('returns the latest check of each gateway as recorded', async () => {
    await store.record([drift('gw-a', T0), drift('gw-b', T0, { drift: 0, remaining: 0, changes: [] })]);
    expect(await store.latest('gw-a')).toEqual(drift('gw-a', T0));
    expect(await store.latest('gw-b')).toEqual(drift('gw-b', T0, { drift: 0, remaining: 0, changes: [] }));
  });

  it('replaces the latest check with a later one', async () => {
    await store.record([drift('gw-a', T0)]);
    await store.record([drift('gw-a', T0 + 60_000, { remaining: 0, autoApplied: true })]);
    expect(await store.latest('gw-a')).toEqual(drift('gw-a', T0 + 60_000, { remaining: 0, autoApplied: true }));
  });

  it('records nothing for an empty list', async () => {
    await store.record([]);
    expect(await store.latest('gw-a')).toBeUndefined();
  });

  it('keeps a record as its JSON: absent optional fields stay absent', async () => {
    const withUndefined = drift('gw-a', T0, {
      changes: [{ action: 'delete', name: 'old', uuid: undefined, error: 'gone' }],
    });
    await store.record([withUndefined]);
    const got = await store.latest('gw-a');
    expect(got?.changes[0]).toStrictEqual({ action: 'delete', name: 'old', error: 'gone' });
  });

  it('refuses two checks of one gateway in one call and records neither', async () => {
    await expect(store.record([drift('gw-a', T0), drift('gw-a', T0 + 1)])).rejects.toThrow(/duplicates/);
    expect(await store.latest('gw-a')).toBeUndefined();
  });

  it('records many gateways in one call (more than one DynamoDB batch)', async () => {
    const gateways = Array.from({ length: 30 }, (_, i) => `gw-${String(i).padStart(2, '0')}`);
    await store.record(gateways.map((g, i) => drift(g, T0, { drift: i })));
    for (const [i, g] of gateways.entries()) expect((await store.latest(g))?.drift).toBe(i);
  }, 30_000);
});

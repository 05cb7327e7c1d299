import { DynamoBillingStore } from '../../functions/adapters/dynamo-billing-store';
import { contentHash, documentNumber, draftsDigest } from '../../functions/core/billing/close';
import type { BillingStore, DraftRecord, FreezeRequest } from '../../functions/ports/billing-store';
import { dynamoLocalForContract } from '../fakes/dynamo-contract';
import { InMemoryBillingStore } from '../fakes/in-memory-billing-store';

// One contract, two implementations (ports/billing-store.ts): the fake used by fast tests must keep
// the same rules as the DynamoDB store the product runs on.
const freshTable = dynamoLocalForContract('billing-contract');
const implementations: [string, () => Promise<BillingStore>][] = [
  ['InMemoryBillingStore', async () => new InMemoryBillingStore()],
  [
    'DynamoBillingStore',
    async () => {
      const { ddb, table } = await freshTable();
      return new DynamoBillingStore(ddb, table);
    },
  ],
];

const draft = (tenant: string, body: string, totalMinor = 100): DraftRecord => ({
  property: 'elm',
  month: '2026-03',
  tenant,
  totalMinor,
  body,
});

const freezeOf = (key: string, month = '2026-03', property = 'elm', tag = 'v1'): FreezeRequest => ({
  property,
  month,
  key,
  kind: 'invoice',
  closedAtMs: 1_000,
  build: (seq) => ({
    number: documentNumber(property, 'invoice', month, seq),
    totalMinor: 100 + seq,
    body: JSON.stringify({ key, seq, tag }),
  }),
});

describe.each(implementations)('billing store contract: %s', (_name, make) => {
  let store: BillingStore;
  beforeEach(async () => {
    store = await make();
  });

  it('replaces the drafts of an open month and returns their bodies byte for byte', async () => {
    // Prepare
    const body = '{"invoice":{"tenant":"a","totalMinor":100},"é":"ü → €"}';
    await store.replaceDrafts(
      'elm',
      '2026-03',
      [draft('a', body), draft('b', '{}')],
      [{ property: 'elm', month: '2026-03', tenant: 'a', days: [{ date: '2026-03-01', kWh: 1.5, estimated: false }] }],
    );
    // Act: a second draft run without tenant b
    await store.replaceDrafts('elm', '2026-03', [draft('a', body)], []);
    // Assess
    expect(await store.listDrafts('elm', '2026-03')).toEqual([draft('a', body)]);
    expect(await store.listUsage('elm', '2026-03')).toEqual([]);
    expect(await store.getMonth('elm', '2026-03')).toMatchObject({
      status: 'open',
      draftsDigest: draftsDigest([draft('a', body)]),
    });
  });

  it('keeps usage per tenant and day', async () => {
    const days = [
      { date: '2026-03-01', kWh: 12.25, estimated: false },
      { date: '2026-03-02', kWh: 0, estimated: true },
    ];
    await store.replaceDrafts(
      'elm',
      '2026-03',
      [draft('a', '{}')],
      [{ property: 'elm', month: '2026-03', tenant: 'a', days }],
    );
    expect(await store.listUsage('elm', '2026-03')).toEqual([{ property: 'elm', month: '2026-03', tenant: 'a', days }]);
  });

  it('stores a snapshot larger than one DynamoDB item, checked against its hash', async () => {
    // Prepare: ~700 KB, as a property of a few thousand tenants
    const body = JSON.stringify({
      tenants: Array.from({ length: 7000 }, (_, i) => ({ id: `t${i}`, pad: 'x'.repeat(80) })),
    });
    // Act
    await store.putSnapshot({ property: 'elm', month: '2026-03', hash: contentHash(body), body });
    await store.putSnapshot({ property: 'elm', month: '2026-03', hash: contentHash('{}'), body: '{}' });
    await store.putSnapshot({ property: 'elm', month: '2026-03', hash: contentHash(body), body });
    // Assess
    expect(await store.getSnapshot('elm', '2026-03')).toEqual({
      property: 'elm',
      month: '2026-03',
      hash: contentHash(body),
      body,
    });
    expect(await store.getSnapshot('elm', '2026-02')).toBeUndefined();
  }, 30_000);

  it('fails when drafts or the snapshot of a closing month would change', async () => {
    await store.replaceDrafts('elm', '2026-03', [draft('a', '{}')], []);
    await store.putSnapshot({ property: 'elm', month: '2026-03', hash: contentHash('{}'), body: '{}' });
    const closing = await store.beginClose('elm', '2026-03', contentHash('{}'));
    expect(closing).toMatchObject({ status: 'closing', snapshotHash: contentHash('{}') });
    await expect(store.replaceDrafts('elm', '2026-03', [draft('a', '{"x":1}')], [])).rejects.toMatchObject({
      code: 'BILLING_MONTH_CLOSED',
    });
    await expect(
      store.putSnapshot({ property: 'elm', month: '2026-03', hash: contentHash('[]'), body: '[]' }),
    ).rejects.toMatchObject({ code: 'BILLING_MONTH_CLOSED' });
    expect(await store.listDrafts('elm', '2026-03')).toEqual([draft('a', '{}')]);
    // A second beginClose continues the close under way.
    expect((await store.beginClose('elm', '2026-03', 'other')).snapshotHash).toBe(contentHash('{}'));
    await store.finishClose('elm', '2026-03', 1, 2_000);
    await store.finishClose('elm', '2026-03', 1, 3_000);
    await store.markPublished('elm', '2026-03');
    expect(await store.getMonth('elm', '2026-03')).toMatchObject({
      status: 'closed',
      invoices: 1,
      published: true,
      closedAtMs: 2_000,
    });
  });

  it('numbers concurrent freezes of one property 1..n with no gap and no repeat', async () => {
    // Act: 12 documents frozen at once, each asked for twice (a retried close)
    const keys = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const results = await Promise.all([...keys, ...keys].map((k) => store.freeze(freezeOf(k))));
    // Assess
    const seqs = (await store.listNumbers('elm')).map((n) => n.seq);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(results.filter((r) => r.created)).toHaveLength(12);
    for (const k of keys) {
      const both = results.filter((r) => r.document.key === k);
      expect(both[0]!.document).toEqual(both[1]!.document);
    }
    const closed = await store.listClosed('elm', '2026-03');
    expect(closed.map((d) => d.number)).toEqual(seqs.map((s) => documentNumber('elm', 'invoice', '2026-03', s)));
  }, 30_000);

  it('keeps one sequence per property across months, independent of other properties', async () => {
    await store.freeze(freezeOf('a', '2026-03', 'elm'));
    await store.freeze(freezeOf('x', '2026-03', 'oak'));
    await store.freeze(freezeOf('a', '2026-04', 'elm'));
    expect((await store.listNumbers('elm')).map((n) => n.number)).toEqual(['ELM-2026-03-0001', 'ELM-2026-04-0002']);
    expect((await store.listNumbers('oak')).map((n) => n.number)).toEqual(['OAK-2026-03-0001']);
    expect((await store.getBySeq('elm', 2))?.month).toBe('2026-04');
    expect(await store.getBySeq('elm', 3)).toBeUndefined();
  });

  it('never changes a closed document: a later freeze of the same key returns it unchanged', async () => {
    const first = await store.freeze(freezeOf('a'));
    const again = await store.freeze(freezeOf('a', '2026-03', 'elm', 'v2'));
    expect(again.created).toBe(false);
    expect(again.document).toEqual(first.document);
    expect((await store.getClosed('elm', '2026-03', 'a'))?.body).toBe(JSON.stringify({ key: 'a', seq: 1, tag: 'v1' }));
    expect(await store.listNumbers('elm')).toHaveLength(1);
  });

  it('gives a lease to one owner at a time until it expires or is released', async () => {
    expect(await store.acquireLease('bill-close#elm', 'run-1', 1000, 10_000)).toBe(true);
    expect(await store.acquireLease('bill-close#elm', 'run-2', 1000, 10_500)).toBe(false);
    expect(await store.acquireLease('bill-close#elm', 'run-1', 1000, 10_600)).toBe(true);
    expect(await store.getLease('bill-close#elm')).toEqual({ owner: 'run-1', leaseUntilMs: 11_600 });
    expect(await store.acquireLease('bill-close#elm', 'run-2', 1000, 11_601)).toBe(true);
    await store.releaseLease('bill-close#elm', 'run-1');
    expect((await store.getLease('bill-close#elm'))?.owner).toBe('run-2');
    await store.releaseLease('bill-close#elm', 'run-2');
    expect(await store.getLease('bill-close#elm')).toBeUndefined();
  });
});

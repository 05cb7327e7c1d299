import { DynamoBillingStore } from '../../functions/adapters/dynamo-billing-store';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { parseBillingFileText } from '../../functions/core/billing/billing-file';
import type { ClosedBody, DraftBody } from '../../functions/core/billing/close';
import type { RegisterRead } from '../../functions/core/billing/model';
import type { BillingFileSource, ReadingsSource } from '../../functions/ports/billing-sources';
import type { BillingStore } from '../../functions/ports/billing-store';
import type { ObjectStore } from '../../functions/ports/object-store';
import { type CloseStep, makeCloseBillingMonth } from '../../functions/use-cases/close-billing-month';
import { makeCreditNote } from '../../functions/use-cases/credit-note';
import { makeDraftBillingMonth } from '../../functions/use-cases/draft-billing-month';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { InMemoryBillingStore } from '../fakes/in-memory-billing-store';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { closeSources, FILE, reads } from '../fixtures/billing/close-fixture';

// The monthly close end to end (docs/billing.md "Monthly close"): draft → close → publish, crashes
// at every step, concurrent closes, late readings and credit notes. The same cases run on the real
// parts (DynamoDB Local + the local S3 server, local/aws/local-aws.ts) and on the fakes.

interface World {
  store: BillingStore;
  objects: ObjectStore;
  clock: { now: () => number; t: number };
  data: { reads: Map<string, RegisterRead[]> };
  billing: BillingFileSource;
  readings: ReadingsSource;
}

// DynamoDB Local on a shared 2-core machine: allow more than jest's 5 s per case.
jest.setTimeout(30_000);

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({ buckets: ['invoices'] });
}, 60_000);
afterAll(async () => aws?.close());

let worlds = 0;
const kinds: [string, () => Promise<{ store: BillingStore; objects: ObjectStore }>][] = [
  [
    'DynamoDB Local + local S3',
    async () => {
      const ddb = dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
      const table = `billing-close-${++worlds}`;
      await ensureStateTable(ddb, table);
      const bucket = `invoices-${worlds}`;
      const objects = S3ObjectStore.fromConfig({ bucket: 'invoices', endpoint: aws.s3Endpoint });
      // One bucket, one prefix per test through a thin key-prefixing wrapper.
      const prefixed: ObjectStore = {
        put: (k, b, c) => objects.put(`${bucket}/${k}`, b, c),
        get: (k) => objects.get(`${bucket}/${k}`),
        list: async (p) =>
          (await objects.list(`${bucket}/${p}`)).map((o) => ({ ...o, key: o.key.slice(bucket.length + 1) })),
        delete: (keys) => objects.delete(keys.map((k) => `${bucket}/${k}`)),
      };
      return { store: new DynamoBillingStore(ddb, table), objects: prefixed };
    },
  ],
  ['in-memory fakes', async () => ({ store: new InMemoryBillingStore(), objects: new InMemoryObjectStore() })],
];

const text = async (objects: ObjectStore, key: string) => {
  const b = await objects.get(key);
  return b ? new TextDecoder().decode(b) : undefined;
};

describe.each(kinds)('monthly close on %s', (_name, make) => {
  let w: World;
  beforeEach(async () => {
    const { store, objects } = await make();
    const data = { reads: reads(() => 1) };
    const clock = {
      t: Date.parse('2026-04-02T06:00:00Z'),
      now() {
        return this.t;
      },
    };
    w = {
      store,
      objects,
      clock,
      data,
      ...closeSources(data),
    };
  });

  const draft = (month = '2026-03', property?: string) =>
    makeDraftBillingMonth({ billing: w.billing, readings: w.readings, store: w.store, clock: w.clock })({
      month,
      ...(property ? { property } : {}),
    });
  const close = (property: string, month = '2026-03', faults?: (s: CloseStep, d: string) => void, owner?: string) =>
    makeCloseBillingMonth({
      store: w.store,
      objects: w.objects,
      clock: w.clock,
      ...(faults ? { faults } : {}),
      ...(owner ? { owner } : {}),
    })({ property, month });

  /** The state a finished close must reach, whatever happened before. */
  async function assertConverged(property: string, tenants: string[], month = '2026-03') {
    const numbers = await w.store.listNumbers(property);
    expect(numbers.map((n) => n.seq)).toEqual(numbers.map((_, i) => i + 1));
    const closed = await w.store.listClosed(property, month);
    expect(closed.map((d) => d.key).sort()).toEqual(tenants);
    expect(new Set(closed.map((d) => d.number)).size).toBe(closed.length);
    expect(await w.store.getMonth(property, month)).toMatchObject({ status: 'closed', published: true });
    for (const d of closed) {
      const json = JSON.parse((await text(w.objects, `invoices/${property}/${month}/${d.number}.json`)) ?? '{}');
      expect(json).toMatchObject({ number: d.number, document: 'invoice', total_minor: d.totalMinor });
      expect(json.invoice).toBe(d.number);
      expect(await text(w.objects, `invoices/${property}/${month}/${d.number}.html`)).toContain(
        `<dt>Invoice</dt><dd>${d.number}</dd>`,
      );
    }
    const csv = await text(w.objects, `invoices/${property}/${month}/invoices-${property}-${month}.csv`);
    const rows = csv?.split('\r\n').slice(1, -1) ?? [];
    expect(new Set(rows.map((r) => r.split(',')[0]))).toEqual(new Set(closed.map((d) => d.number)));
    return closed;
  }

  it('stores byte-identical drafts when the same month is drafted twice', async () => {
    // Act
    const first = await draft();
    const bodies = await w.store.listDrafts('elm', '2026-03');
    const snapshot = await w.store.getSnapshot('elm', '2026-03');
    const second = await draft();
    // Assess
    expect(first.ok).toBe(true);
    expect(first.properties.map((p) => [p.property, p.status, p.drafts])).toEqual([
      ['elm', 'drafted', 3],
      ['oak', 'drafted', 2],
    ]);
    expect(second.properties[0]!.snapshotHash).toBe(snapshot!.hash);
    expect(second.properties[0]!.previousMonth).toEqual({ month: '2026-02', check: 'not-closed' });
    expect(await w.store.listDrafts('elm', '2026-03')).toEqual(bodies);
    expect(await w.store.getSnapshot('elm', '2026-03')).toEqual(snapshot);
    const body = JSON.parse(bodies[0]!.body) as DraftBody;
    expect(body.provenance).toMatchObject({
      meters: ['000000000001'],
      plan: { id: 'flat', versionFrom: '2026-01-01' },
      snapshotHash: snapshot!.hash,
    });
    // March in New York: 31 days less the DST hour, a read every 15 minutes, both ends included
    expect(body.provenance.readings.count).toBe((31 * 24 - 1) * 4 + 1);
    expect((await w.store.listUsage('elm', '2026-03'))[0]!.days).toHaveLength(31);
  });

  it('numbers, freezes and publishes a month; a re-run changes nothing', async () => {
    // Prepare
    await draft();
    // Act
    const first = await close('elm');
    const files = await w.objects.list('invoices/elm/2026-03/');
    const bytes = await Promise.all(files.map((f) => text(w.objects, f.key)));
    const again = await close('elm');
    // Assess
    expect(first.invoices.map((i) => [i.tenant, i.number, i.created])).toEqual([
      ['a', 'ELM-2026-03-0001', true],
      ['b', 'ELM-2026-03-0002', true],
      ['c', 'ELM-2026-03-0003', true],
    ]);
    expect(again.invoices.map((i) => [i.number, i.created])).toEqual([
      ['ELM-2026-03-0001', false],
      ['ELM-2026-03-0002', false],
      ['ELM-2026-03-0003', false],
    ]);
    expect(again.published).toEqual([]);
    expect(files.map((f) => f.key)).toEqual([
      'invoices/elm/2026-03/ELM-2026-03-0001.html',
      'invoices/elm/2026-03/ELM-2026-03-0001.json',
      'invoices/elm/2026-03/ELM-2026-03-0002.html',
      'invoices/elm/2026-03/ELM-2026-03-0002.json',
      'invoices/elm/2026-03/ELM-2026-03-0003.html',
      'invoices/elm/2026-03/ELM-2026-03-0003.json',
      'invoices/elm/2026-03/invoices-elm-2026-03.csv',
    ]);
    expect(await Promise.all(files.map((f) => text(w.objects, f.key)))).toEqual(bytes);
    await assertConverged('elm', ['a', 'b', 'c']);
    // The month is frozen: drafting it again leaves it alone.
    const redraft = await draft('2026-03', 'elm');
    expect(redraft.properties[0]!.status).toBe('closed');
  });

  it('numbers concurrent closes of different properties and a retried close without gaps or repeats', async () => {
    await draft();
    const results = await Promise.allSettled([close('elm'), close('oak'), close('oak', '2026-03', undefined, 'retry')]);
    // The second close of oak may find the lease taken; a retry after it converges.
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => /BILLING_LOCKED|holds its lease/.test(String((r as PromiseRejectedResult).reason?.message))),
    ).toBe(true);
    await close('oak');
    await assertConverged('elm', ['a', 'b', 'c']);
    await assertConverged('oak', ['x', 'y']);
    expect((await w.store.listNumbers('oak')).map((n) => n.number)).toEqual(['OAK-2026-03-0001', 'OAK-2026-03-0002']);
  });

  it('lets only one of two simultaneous closes of a property run; the other fails naming the lease', async () => {
    await draft();
    const [one, two] = await Promise.allSettled([
      close('elm', '2026-03', undefined, 'run-1'),
      close('elm', '2026-03', undefined, 'run-2'),
    ]);
    const failed = [one, two].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatchObject({ code: 'BILLING_LOCKED' });
    expect(failed[0]!.reason.message).toMatch(/another draft or close of property elm holds its lease \(run run-[12]/);
    await assertConverged('elm', ['a', 'b', 'c']);
    expect(await w.store.listNumbers('elm')).toHaveLength(3);
  });

  it('does not draft a property while its close holds the lease, and says so', async () => {
    // Prepare
    await draft('2026-03', 'elm');
    const before = await w.store.listDrafts('elm', '2026-03');
    await w.store.acquireLease('bill-close#elm', 'closing-run', 60_000, w.clock.now());
    // Act
    const r = await draft('2026-03');
    // Assess
    expect(r.ok).toBe(false);
    expect(r.properties.map((p) => [p.property, p.status])).toEqual([
      ['elm', 'failed'],
      ['oak', 'drafted'],
    ]);
    expect(r.properties[0]!.error).toMatch(
      /^BILLING_LOCKED: another draft or close of property elm holds its lease \(run closing-run/,
    );
    expect(await w.store.listDrafts('elm', '2026-03')).toEqual(before);
  });

  it('refuses to close drafts of an interrupted draft run, and closes once the month is drafted again', async () => {
    // Prepare: March drafted; then a re-draft with a renamed tenant dies after the new snapshot,
    // before its drafts (nothing after the kill runs: no lease release).
    await draft('2026-03', 'elm');
    const renamed = FILE.replace('name: Unit B', 'name: Unit B (renamed)');
    const dying: BillingStore = Object.assign(Object.create(w.store) as BillingStore, {
      replaceDrafts: async () => {
        throw new Error('killed before the drafts');
      },
      releaseLease: async () => undefined,
    });
    const billing = { ...w.billing, load: async () => parseBillingFileText(renamed, 'billing.yaml') };
    await expect(
      makeDraftBillingMonth({ billing, readings: w.readings, store: dying, clock: w.clock, owner: 'dead' })({
        month: '2026-03',
        property: 'elm',
      }),
    ).rejects.toThrow('killed');
    w.clock.t += 61_000;
    // Act
    const refused = close('elm');
    // Assess
    await expect(refused).rejects.toMatchObject({ code: 'BILLING_DRAFTS_INCOMPLETE' });
    expect(await w.store.listNumbers('elm')).toEqual([]);
    expect((await w.store.getMonth('elm', '2026-03'))?.status).toBe('open');
    await makeDraftBillingMonth({ billing, readings: w.readings, store: w.store, clock: w.clock })({
      month: '2026-03',
      property: 'elm',
    });
    await close('elm');
    const closed = await assertConverged('elm', ['a', 'b', 'c']);
    expect((JSON.parse(closed[1]!.body) as ClosedBody).invoice.tenantName).toBe('Unit B (renamed)');
  });

  const crashes: [string, CloseStep, string][] = [
    ['after closing starts, before any number', 'after-begin', ''],
    ['before the first invoice is numbered', 'before-freeze', 'a'],
    ['between invoice writes (after the 2nd invoice)', 'after-freeze', 'b'],
    ['after the last invoice, before the month is marked closed', 'after-freeze', 'c'],
    ['after freezing, before publishing', 'after-closed', ''],
    ['half-way through publishing', 'after-publish-file', 'ELM-2026-03-0002'],
    ['after publishing, before it is recorded', 'before-mark-published', ''],
  ];
  it.each(crashes)('converges after a crash %s', async (_what, step, detail) => {
    // Prepare
    await draft();
    const crash = (s: CloseStep, d: string) => {
      if (s === step && d === detail) throw new Error(`killed at ${s} ${d}`);
    };
    // Act: the crashed run (its lease is released by `finally`, as a run that catches its error
    // would; the kill -9 case without release is the next test)
    await expect(close('elm', '2026-03', crash)).rejects.toThrow('killed');
    const before = await w.store.listClosed('elm', '2026-03');
    const result = await close('elm');
    // Assess: no closed invoice changed, numbers 1..3, everything published
    const after = await assertConverged('elm', ['a', 'b', 'c']);
    for (const d of before) expect(after.find((x) => x.key === d.key)).toEqual(d);
    expect(result.invoices.map((i) => i.number)).toEqual(['ELM-2026-03-0001', 'ELM-2026-03-0002', 'ELM-2026-03-0003']);
  });

  it('converges after a kill -9 that left its lease behind and a lost freeze reply', async () => {
    // Prepare: the store acknowledges the 2nd freeze then the process dies before hearing it;
    // nothing runs after the kill (no lease release).
    await draft();
    let freezes = 0;
    const dying: BillingStore = Object.assign(Object.create(w.store) as BillingStore, {
      freeze: async (req: Parameters<BillingStore['freeze']>[0]) => {
        const r = await w.store.freeze(req);
        if (++freezes === 2) throw new Error('killed after the write, before the reply');
        return r;
      },
      releaseLease: async () => undefined,
    });
    await expect(
      makeCloseBillingMonth({ store: dying, objects: w.objects, clock: w.clock, owner: 'dead' })({
        property: 'elm',
        month: '2026-03',
      }),
    ).rejects.toThrow('killed');
    // Act: a new run is refused while the dead run's lease lasts, then takes over
    await expect(close('elm', '2026-03', undefined, 'next')).rejects.toMatchObject({ code: 'BILLING_LOCKED' });
    w.clock.t += 61_000;
    const result = await close('elm', '2026-03', undefined, 'next');
    // Assess
    expect(result.invoices.map((i) => [i.number, i.created])).toEqual([
      ['ELM-2026-03-0001', false],
      ['ELM-2026-03-0002', false],
      ['ELM-2026-03-0003', true],
    ]);
    await assertConverged('elm', ['a', 'b', 'c']);
  });

  it('carries late readings of a closed month into the next month as an adjustment line', async () => {
    // Prepare: March closed at 1 kW; then corrected reads say tenant b used 1.5 kW from 20 March
    await draft('2026-03', 'elm');
    const march = await close('elm');
    const late = Date.parse('2026-03-20T04:00:00Z');
    const aprilStart = Date.parse('2026-04-01T04:00:00Z');
    w.data.reads = reads((m, t) => (m === 2 && t >= late && t < aprilStart ? 1.5 : 1));
    // Act
    const april = await draft('2026-04', 'elm');
    // Assess
    const oldTotal = march.invoices.find((i) => i.tenant === 'b')!.totalMinor;
    const extraKWh = 0.5 * ((aprilStart - late) / 3_600_000);
    const newTotal = oldTotal + Math.round(extraKWh * 0.2 * 1.05 * 100);
    expect(april.properties[0]!.adjustments).toEqual([
      {
        tenant: 'b',
        month: '2026-03',
        invoiceNumber: 'ELM-2026-03-0002',
        oldTotalMinor: oldTotal,
        newTotalMinor: newTotal,
      },
    ]);
    expect(april.properties[0]!.previousMonth).toEqual({ month: '2026-03', check: 'checked' });
    const drafts = await w.store.listDrafts('elm', '2026-04');
    const b = JSON.parse(drafts.find((d) => d.tenant === 'b')!.body) as DraftBody;
    const line = b.invoice.lines.at(-1)!;
    expect(line).toMatchObject({ kind: 'adjustment', amountMinor: newTotal - oldTotal });
    expect(line.description).toMatch(
      /^Adjustment for 2026-03 \(invoice ELM-2026-03-0002\): re-priced with late readings/,
    );
    expect(b.invoice.totalMinor).toBe(b.invoice.lines.reduce((s, l) => s + l.amountMinor, 0));
    expect(b.provenance.adjustments).toEqual([
      { month: '2026-03', invoiceNumber: 'ELM-2026-03-0002', oldTotalMinor: oldTotal, newTotalMinor: newTotal },
    ]);
    const a = JSON.parse(drafts.find((d) => d.tenant === 'a')!.body) as DraftBody;
    expect(a.invoice.lines.some((l) => l.kind === 'adjustment')).toBe(false);
    // The closed March invoice is untouched; April closes with the adjustment and the next numbers.
    expect((await w.store.getClosed('elm', '2026-03', 'b'))!.totalMinor).toBe(oldTotal);
    const aprilClose = await close('elm', '2026-04');
    expect(aprilClose.invoices.map((i) => i.number)).toEqual([
      'ELM-2026-04-0004',
      'ELM-2026-04-0005',
      'ELM-2026-04-0006',
    ]);
  });

  it('corrects a closed invoice with a numbered credit note that references it', async () => {
    // Prepare
    await draft('2026-03', 'elm');
    const march = await close('elm');
    const invoiceB = march.invoices.find((i) => i.tenant === 'b')!;
    const closedBefore = await w.store.getClosed('elm', '2026-03', 'b');
    const credit = makeCreditNote({ store: w.store, objects: w.objects, clock: w.clock });
    // Act
    const note = await credit({
      property: 'elm',
      invoiceNumber: invoiceB.number,
      requestId: 'letter-17',
      reason: 'meter 2 misread on 12 March',
      amountMinor: 500,
    });
    const retry = await credit({
      property: 'elm',
      invoiceNumber: invoiceB.number,
      requestId: 'letter-17',
      reason: 'meter 2 misread on 12 March',
      amountMinor: 500,
    });
    // Assess
    expect(note).toMatchObject({
      number: 'ELM-CN-2026-04-0004',
      refersTo: 'ELM-2026-03-0002',
      amountMinor: 500,
      created: true,
    });
    expect(retry).toMatchObject({ number: 'ELM-CN-2026-04-0004', created: false });
    expect(await w.store.getClosed('elm', '2026-03', 'b')).toEqual(closedBefore);
    const json = JSON.parse((await text(w.objects, 'invoices/elm/2026-03/ELM-CN-2026-04-0004.json'))!);
    expect(json).toMatchObject({
      number: 'ELM-CN-2026-04-0004',
      document: 'credit_note',
      refers_to: 'ELM-2026-03-0002',
      total_minor: -500,
    });
    const body = JSON.parse((await w.store.getBySeq('elm', 4))!.body) as ClosedBody;
    expect(body.invoice.lines).toEqual([expect.objectContaining({ kind: 'credit', amountMinor: -500 })]);
    // More than what is left is refused; the rest can be credited.
    await expect(
      credit({
        property: 'elm',
        invoiceNumber: invoiceB.number,
        requestId: 'letter-18',
        reason: 'x',
        amountMinor: invoiceB.totalMinor,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    const rest = await credit({
      property: 'elm',
      invoiceNumber: invoiceB.number,
      requestId: 'letter-18',
      reason: 'full refund',
    });
    expect(rest).toMatchObject({ number: 'ELM-CN-2026-04-0005', amountMinor: invoiceB.totalMinor - 500 });
    await expect(
      credit({ property: 'elm', invoiceNumber: 'ELM-2026-03-0099', requestId: 'x', reason: 'x' }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await w.store.listNumbers('elm')).map((n) => n.seq)).toEqual([1, 2, 3, 4, 5]);
    // Never while a close or draft of the property runs.
    await w.store.acquireLease('bill-close#elm', 'closing-run', 60_000, w.clock.now());
    await expect(
      credit({ property: 'elm', invoiceNumber: 'ELM-2026-03-0001', requestId: 'letter-19', reason: 'x' }),
    ).rejects.toMatchObject({ code: 'BILLING_LOCKED' });
  });
});

import { ObjectBillingSource } from '../../functions/adapters/object-billing-source';
import { CLOSE_METRICS } from '../../functions/core/billing/close-metrics';
import { makeCloseBillingHandler } from '../../functions/handlers/close-billing';
import { makeCloseBillingMonth } from '../../functions/use-cases/close-billing-month';
import { makeDraftBillingMonth } from '../../functions/use-cases/draft-billing-month';
import { makeScheduledClose } from '../../functions/use-cases/scheduled-close';
import { InMemoryBillingStore } from '../fakes/in-memory-billing-store';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { closeSources, FILE, RECORD, reads } from '../fixtures/billing/close-fixture';
import event from '../fixtures/events/close-billing-schedule.json';

// The close-billing Lambda: the Scheduler's event in, the properties of its time zone drafted,
// closed and published, EMF metrics and a summary out (functions/handlers/close-billing.ts).

const utf8 = (s: string) => new TextEncoder().encode(s);

async function world(readingsOk = true) {
  const objects = new InMemoryObjectStore();
  await objects.put('billing/billing.yaml', utf8(FILE));
  await objects.put('billing/flat.json', utf8(JSON.stringify(RECORD)));
  const store = new InMemoryBillingStore();
  const clock = { now: () => Date.parse('2026-04-03T06:00:00Z') };
  const billing = new ObjectBillingSource(objects, 'billing/billing.yaml', 's3://lake/billing/billing.yaml');
  const { readings } = closeSources({ reads: readingsOk ? reads(() => 1) : new Map() });
  const scheduled = makeScheduledClose({
    billing,
    store,
    clock,
    draft: makeDraftBillingMonth({ billing, readings, store, clock }),
    close: makeCloseBillingMonth({ store, objects, clock }),
  });
  const lines: string[] = [];
  const handler = makeCloseBillingHandler(async () => scheduled, { log: (l) => lines.push(l), now: clock.now });
  return { objects, store, handler, lines };
}

describe('close-billing handler', () => {
  it('closes the month before for the properties of the event’s time zone and publishes their invoices', async () => {
    // Prepare
    const w = await world();
    // Act
    const summary = await w.handler(event);
    // Assess
    expect(summary).toMatchObject({ msg: 'billing close', timezone: 'America/New_York', ok: true });
    expect(summary.properties.map((p) => [p.property, p.month, p.invoices, p.created])).toEqual([
      ['elm', '2026-03', 3, 3],
    ]);
    expect(await w.store.getMonth('elm', '2026-03')).toMatchObject({ status: 'closed', published: true });
    expect(await w.store.getMonth('oak', '2026-03')).toBeUndefined();
    const keys = (await w.objects.list('invoices/')).map((o) => o.key);
    expect(keys.filter((k) => k.endsWith('.html'))).toHaveLength(3);
    expect(keys.every((k) => k.startsWith('invoices/elm/2026-03/'))).toBe(true);
    const emf = w.lines.map((l) => JSON.parse(l)).find((d) => d[CLOSE_METRICS.estimatedShareMax] !== undefined);
    expect(emf).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: CLOSE_METRICS.namespace }] } });
    expect(emf[CLOSE_METRICS.estimatedShareMax]).toBe(0);
  });

  it('converges when the schedule fires again: no new numbers, nothing rewritten', async () => {
    // Prepare
    const w = await world();
    await w.handler(event);
    // Act
    const again = await w.handler(event);
    // Assess
    expect(again.properties[0]).toMatchObject({ ok: true, invoices: 3, created: 0, published: 0 });
    expect((await w.store.listNumbers('elm')).map((n) => n.seq)).toEqual([1, 2, 3]);
  });

  it('fails the run naming the property when it cannot be billed (retries, dead letters and the alarm see it)', async () => {
    // Prepare
    const w = await world(false);
    // Act + Assess
    await expect(w.handler(event)).rejects.toThrow(/elm 2026-03/);
    expect(await w.store.getMonth('elm', '2026-03')).toBeUndefined();
  });

  it('fails when the event is not an object of strings', async () => {
    const w = await world();
    await expect(w.handler({ timezone: 5 })).rejects.toThrow('event.timezone');
  });
});

import { ObjectBillingSource } from '../../functions/adapters/object-billing-source';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { FILE, RECORD } from '../fixtures/billing/close-fixture';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('ObjectBillingSource', () => {
  it('reads the billing file and resolves URDB paths against its key (an OpenEI answer unwrapped)', async () => {
    // Prepare
    const objects = new InMemoryObjectStore();
    await objects.put('config/billing/billing.yaml', utf8(FILE));
    await objects.put('config/tariffs/flat.json', utf8(JSON.stringify({ items: [RECORD] })));
    const source = new ObjectBillingSource(
      objects,
      'config/billing/billing.yaml',
      's3://lake/config/billing/billing.yaml',
    );
    // Act
    const file = await source.load();
    const record = await source.urdbRecord('../tariffs/flat.json', '/properties/0/plans/0');
    // Assess
    expect(file.properties.map((p) => p.id)).toEqual(['elm', 'oak']);
    expect(record).toEqual(RECORD);
  });

  it('fails naming the key when the billing file or a URDB record is missing', async () => {
    const objects = new InMemoryObjectStore();
    const source = new ObjectBillingSource(objects, 'billing.yaml', 's3://lake/billing.yaml');
    await expect(source.load()).rejects.toThrow('s3://lake/billing.yaml: no object billing.yaml');
    await expect(source.urdbRecord('x/rate.json', '/p')).rejects.toThrow('no object x/rate.json');
  });
});

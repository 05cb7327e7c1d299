import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBillingSource, FileReadingsSource } from '../../functions/adapters/billing-files';
import { encodeRows } from '../../functions/core/parquet/encode';

describe('billing file adapters', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'billing-files-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads register reads from a realtime lake Parquet file, skipping bad reads', async () => {
    // Prepare
    const base = { good: true, protocol: 'v4', source: 'realtime', via: 'demo', schema_version: 1 };
    const rows = [
      { ...base, meter: '000300000001', time: Date.parse('2026-03-01T00:15:00Z'), kWh_Tot: 11, Rev_kWh_Tot: 1 },
      { ...base, meter: '000300000001', time: Date.parse('2026-03-01T00:00:00Z'), kWh_Tot: 10, Rev_kWh_Tot: 1 },
      { ...base, meter: '000300000001', time: Date.parse('2026-03-01T00:30:00Z'), kWh_Tot: 99, good: false },
      { ...base, meter: '000300000002', time: Date.parse('2026-03-01T00:00:00Z'), kWh_Tot: 5, kWh_Tariff_2: 3 },
    ];
    const file = join(dir, 'reads.parquet');
    writeFileSync(file, encodeRows('realtime', rows));
    // Act
    const got = await new FileReadingsSource(file).readings(['000300000001', '000300000002', '000300000003']);
    // Assess
    expect([...got.keys()]).toEqual(['000300000001', '000300000002']);
    expect(got.get('000300000001')).toEqual([
      { timeMs: Date.parse('2026-03-01T00:00:00Z'), kWhTot: 10, revKWhTot: 1 },
      { timeMs: Date.parse('2026-03-01T00:15:00Z'), kWhTot: 11, revKWhTot: 1 },
    ]);
    expect(got.get('000300000002')).toEqual([
      { timeMs: Date.parse('2026-03-01T00:00:00Z'), kWhTot: 5, tariffKWh: [undefined, 3, undefined, undefined] },
    ]);
  });

  it('reads a CSV line by line and names the line of a bad row', async () => {
    const good = join(dir, 'reads.csv');
    writeFileSync(good, 'meter,time,kWh_Tot,Rev_kWh_Tot\r\n300000001,2026-03-01T00:00:00-05:00,10.5,\r\n');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'meter,time,kWh_Tot\n1,2026-03-01T00:00:00Z,1\n1,2026-03-01 00:15,2\n');
    await expect(new FileReadingsSource(good).readings(['000300000001'])).resolves.toEqual(
      new Map([['000300000001', [{ timeMs: Date.parse('2026-03-01T05:00:00Z'), kWhTot: 10.5 }]]]),
    );
    await expect(new FileReadingsSource(bad).readings(['000000000001'])).rejects.toThrow(
      `${bad}:3: time "2026-03-01 00:15" is not an ISO-8601 time with a zone`,
    );
  });

  it('reads URDB records relative to the billing file, also as an OpenEI answer, and names a missing one', async () => {
    writeFileSync(join(dir, 'one.json'), JSON.stringify({ items: [{ name: 'X' }] }));
    const source = new FileBillingSource(join(dir, 'billing.yaml'));
    await expect(source.urdbRecord('one.json', '/properties/0/plans/0/versions/0/urdb')).resolves.toEqual({
      name: 'X',
    });
    await expect(source.urdbRecord('nope.json', '/properties/0/plans/0/versions/1/urdb')).rejects.toThrow(
      `${join(dir, 'billing.yaml')}: /properties/0/plans/0/versions/1/urdb: cannot read the URDB record "nope.json"`,
    );
    await expect(source.load()).rejects.toThrow(/cannot read the billing file \(no such file\)/);
  });
});

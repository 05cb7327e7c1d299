/**
 * Month billing from the lake (`npm run bench -- billing`). Figures are printed, never asserted.
 *
 * N tenants on one meter each (default 1,000 then 10,000; `--tenants N` for one run), June 2026
 * (30 days, UTC) of 15-minute `intervals` objects in the local S3 server (s3rver, in this process)
 * written by a separate generator process before the timed part. Timed, end to end: the lake read
 * (LakeReadingsSource: list the month's date partitions, decode, re-assemble register reads),
 * pricing every tenant (bill-month), and writing each invoice's JSON + HTML and the CSV
 * (functions/composition/billing.ts). The DynamoDB draft/close is not part of this figure.
 * Prints wall time per stage and peak RSS (`process.resourceUsage().maxRSS`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore } from '../functions/adapters/s3-object-store';
import { billMonthFromFiles, writeInvoices } from '../functions/composition/billing';
import { INTERVAL_MS } from '../functions/core/billing/model';
import { encodeRows } from '../functions/core/parquet/encode';
import { INTERVALS_SCHEMA_VERSION } from '../functions/core/parquet/lake-schema';
import { emptyRow, type LakeRow } from '../functions/core/parquet/rows';
import { intervalsKey } from '../functions/use-cases/build-intervals';
import { startLocalAws } from '../local/aws/local-aws';

const DAY_MS = 86_400_000;
const FIRST = Date.UTC(2026, 4, 31); // one day before June: the reads bracketing the month's start
const DAYS = 32; // 2026-05-31 .. 2026-07-01
const BUCKET = 'bench-lake';
const meterOf = (k: number) => String(300_000_000 + k).padStart(12, '0');

/** Generator process: write one intervals object per day for `tenants` meters, then exit. */
async function generate(endpoint: string, tenants: number): Promise<void> {
  const store = S3ObjectStore.fromConfig({ bucket: BUCKET, endpoint });
  const register = new Float64Array(tenants).fill(1000);
  for (let d = 0; d < DAYS; d++) {
    const dayMs = FIRST + d * DAY_MS;
    const rows: LakeRow[] = [];
    for (let k = 0; k < tenants; k++) {
      const scale = 0.05 + (k % 97) / 200;
      for (let i = 0; i < 96; i++) {
        const h = i >> 2;
        const kWh = scale * (h >= 15 && h < 21 ? 2 : h >= 7 ? 1 : 0.5);
        const row = emptyRow('intervals');
        row.meter = meterOf(k);
        row.time = dayMs + i * INTERVAL_MS;
        row.kWh = kWh;
        row.max_kW = kWh * 4;
        row.source = 'realtime';
        row.estimated = false;
        row.kWh_start = register[k]!;
        register[k]! += kWh;
        row.kWh_end = register[k]!;
        row.schema_version = INTERVALS_SCHEMA_VERSION;
        rows.push(row);
      }
    }
    await store.put(
      intervalsKey('lake/', 'bench', new Date(dayMs).toISOString().slice(0, 10)),
      encodeRows('intervals', rows),
    );
  }
}

const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

async function run(tenants: number): Promise<void> {
  const aws = await startLocalAws({ buckets: [BUCKET] });
  const dir = mkdtempSync(join(tmpdir(), 'bench-billing-lake-'));
  try {
    let t = process.hrtime.bigint();
    // Asynchronous: s3rver answers the generator's PUTs from this process's event loop.
    const gen = spawn(
      process.execPath,
      ['--import', 'tsx', __filename, '--generate', aws.s3Endpoint, String(tenants)],
      {
        stdio: 'inherit',
      },
    );
    const [code] = (await once(gen, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`generator failed (${code})`);
    const genS = seconds(t);
    writeFileSync(
      join(dir, 'flat.json'),
      JSON.stringify({
        name: 'Flat',
        energyratestructure: [[{ rate: 0.2, unit: 'kWh' }]],
        energyweekdayschedule: Array.from({ length: 12 }, () => Array(24).fill(0)),
        energyweekendschedule: Array.from({ length: 12 }, () => Array(24).fill(0)),
        fixedchargefirstmeter: 10,
        fixedchargeunits: '$/month',
      }),
    );
    const lines = ['version: 1', 'currency: USD', 'properties:', '  - id: bench', '    timezone: UTC'];
    lines.push('    plans: [{ id: flat, versions: [{ from: 2026-01-01, urdb: flat.json }] }]', '    tenants:');
    for (let k = 0; k < tenants; k++) lines.push(`      - { id: t${k}, meters: ["${meterOf(k)}"], plan: flat }`);
    writeFileSync(join(dir, 'billing.yaml'), lines.join('\n'));
    const rssBefore = maxRssMb();

    t = process.hrtime.bigint();
    const lake = { bucket: BUCKET, prefix: 'lake', endpoint: aws.s3Endpoint };
    const result = await billMonthFromFiles({ billingFile: join(dir, 'billing.yaml'), lake })({ month: '2026-06' });
    const billS = seconds(t);
    const rssAfterBill = maxRssMb();
    const t2 = process.hrtime.bigint();
    const files = await writeInvoices(join(dir, 'out'), result.invoices);
    const filesS = seconds(t2);
    const totalS = seconds(t);
    const kWh = result.invoices.reduce((s, i) => s + i.kWh, 0);
    const intervals = tenants * 30 * 96;
    console.log(
      `${tenants} tenants, ${intervals.toLocaleString('en-US')} intervals (June 2026, 30 days) from the local lake:`,
    );
    console.log(`  lake generated in a separate process in ${genS.toFixed(1)} s (not timed)`);
    console.log(
      `  read usage + price: ${billS.toFixed(1)} s; invoice files (${files.files.length}): ${filesS.toFixed(1)} s; end to end ${totalS.toFixed(1)} s wall`,
    );
    console.log(
      `  ${result.invoices.length} invoices, ${kWh.toFixed(0)} kWh, ok=${result.ok}; peak RSS ${maxRssMb().toFixed(0)} MB (${rssBefore.toFixed(0)} MB before the timed part, ${rssAfterBill.toFixed(0)} MB after read + price; s3rver in this process)`,
    );
  } finally {
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const g = process.argv.indexOf('--generate');
  if (g > 0) return generate(process.argv[g + 1]!, Number(process.argv[g + 2]));
  const flag = process.argv.indexOf('--tenants');
  const counts = flag > 0 ? [Number(process.argv[flag + 1])] : [1_000, 10_000];
  // One process per count, so each peak RSS is its own.
  if (counts.length > 1) {
    for (const n of counts)
      spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, '--tenants', String(n)], {
        stdio: 'inherit',
      });
    return;
  }
  await run(counts[0]!);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

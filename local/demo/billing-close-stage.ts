import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveEkmKey } from '../../functions/adapters/ekm/clients';
import { DefaultSecretResolver } from '../../functions/adapters/secret-resolvers';
import { openBillingCloseFromConfig } from '../../functions/composition/billing';
import { openLake } from '../../functions/composition/lake';
import type { ProjectConfig } from '../../functions/config/project-config';
import { monthBeforeIn } from '../../functions/core/billing/close-metrics';
import { formatMoney } from '../../functions/core/billing/render-format';
import { EkmPipelineError } from '../../functions/core/errors';
import type { DemoContext, DemoStage } from './demo-context';

/** The zone of the example building (examples/billing-local-cloud.yaml). */
const ZONE = 'America/New_York';
const DAY_MS = 86_400_000;

/** The last full month in the example building's zone, and its UTC span padded by a day. */
export function demoCloseMonth(nowMs: number): { month: string; fromMs: number; toMs: number } {
  const month = monthBeforeIn(nowMs, ZONE);
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { month, fromMs: Date.UTC(y, m - 1, 1) - DAY_MS, toMs: Math.min(Date.UTC(y, m, 1) + DAY_MS, nowMs) };
}

/**
 * `npm start` stage: the monthly close of the example building on the local EKM cloud's simulated
 * meters (examples/billing-local-cloud.yaml). Backfills the last full month of 15-minute summaries
 * into the local lake through the same summary ingest as the Lambda, compacts it into the
 * intervals dataset, drafts the month in the state
 * table, closes it (numbers, frozen invoices, files under `invoices/` in the lake bucket, mirrored
 * to `.local/invoices/`), and prints each tenant's total and its HTML invoice. A second run
 * converges: the month is already closed, the same invoices are shown.
 */
export const billingCloseStage: DemoStage = {
  name: 'Monthly close: last month of the simulated building, from the lake to numbered invoices',
  run: closeLastMonth,
  // With --serve: once a day, as a stand-in for the Lambda's monthly cron (lib/stacks/etl-stack.ts);
  // a closed month converges unchanged, a new month is backfilled and closed once it has begun.
  schedule: {
    everyMs: DAY_MS,
    async run(ctx) {
      const lines = await closeLastMonth(ctx);
      return lines[1] ?? lines[0] ?? 'nothing to close';
    },
  },
};

async function closeLastMonth(ctx: DemoContext): Promise<string[]> {
  const config: ProjectConfig | undefined = ctx.local.config;
  if (!config?.lake || !config.state)
    throw new Error('the billing close stage needs the lake stage to run first (ctx.local.config with lake and state)');
  const root = join(ctx.stateDir, '..');
  const shown = (path: string) => relative(process.cwd(), path) || path;
  const { month, fromMs, toMs } = demoCloseMonth(Date.now());

  // The example, with Unit A moving in on the 11th of the month closed.
  const billingDir = join(ctx.stateDir, 'billing');
  mkdirSync(join(billingDir, 'tariffs'), { recursive: true });
  copyFileSync(join(root, 'examples/tariffs/utility-tou.json'), join(billingDir, 'tariffs/utility-tou.json'));
  const billingFile = join(billingDir, 'billing.yaml');
  writeFileSync(
    billingFile,
    readFileSync(join(root, 'examples/billing-local-cloud.yaml'), 'utf8').replace(
      /moveIn: \d{4}-\d{2}-\d{2}/,
      `moveIn: ${month}-11`,
    ),
  );

  const lake = openLake(config);
  let summaryLine: string;
  try {
    const key = await resolveEkmKey(config, 'demo', new DefaultSecretResolver());
    const sm = await lake.ingestSummary({ key, fromMs, toMs });
    // Compaction derives the intervals dataset the close bills from (functions/adapters/lake-readings.ts).
    const compacted = await lake.compact();
    summaryLine = `backfill: ${sm.buckets} 15-minute summaries of ${sm.meters} meters from the local EKM cloud, ${new Date(sm.fromMs).toISOString()} → ${new Date(sm.toMs).toISOString()}${compacted.days.length ? `; ${compacted.days.length} day objects compacted into intervals` : ''}`;
  } finally {
    await lake.close();
  }

  // No readings file: usage comes from the lake's intervals dataset (LakeReadingsSource).
  const close = openBillingCloseFromConfig(config, { billingFile });
  try {
    const drafted = await close.draft({ month });
    const failed = drafted.properties.filter((p) => p.status === 'failed');
    if (failed.length > 0)
      throw new EkmPipelineError(
        'DEMO_BILLING',
        `not drafted: ${failed.map((p) => `${p.property} (${p.error ?? 'unknown error'})`).join('; ')}`,
      );
    const lines = [summaryLine];
    const out = join(ctx.stateDir, 'invoices');
    for (const p of drafted.properties) {
      const r = await close.close({ month, property: p.property });
      const closed = await close.store.listClosed(p.property, month);
      lines.push(
        `${p.property} ${month}: ${p.status === 'closed' ? 'already closed (unchanged)' : `${p.drafts} drafts`} → ${r.invoices.length} invoices numbered ${r.invoices[0]?.number}..${r.invoices.at(-1)?.number}, published under invoices/ in s3://${config.lake.bucket}`,
      );
      for (const doc of closed.filter((d) => d.kind === 'invoice')) {
        const key = `invoices/${p.property}/${month}/${doc.number}`;
        for (const ext of ['json', 'html']) {
          const body = await close.objects.get(`${key}.${ext}`);
          if (body) {
            mkdirSync(join(out, p.property, month), { recursive: true });
            writeFileSync(join(out, p.property, month, `${doc.number}.${ext}`), body);
          }
        }
        const body = JSON.parse(doc.body) as { invoice: { tenantName?: string; currency: string; kWh: number } };
        lines.push(
          `${doc.key}${body.invoice.tenantName ? ` (${body.invoice.tenantName})` : ''}: ${formatMoney(doc.totalMinor, body.invoice.currency)} for ${body.invoice.kWh.toFixed(1)} kWh → ${shown(join(out, p.property, month, `${doc.number}.html`))}`,
        );
      }
    }
    ctx.log(`billing file ${shown(billingFile)}; drafts, numbers and invoices in DynamoDB table ${config.state.table}`);
    return lines;
  } finally {
    close.dispose();
  }
}

import { join, relative } from 'node:path';
import { billMonthFromFiles, writeInvoices } from '../../functions/composition/billing';
import { formatMoney, formatNumber, invoiceId } from '../../functions/core/billing/render-format';
import { EkmPipelineError } from '../../functions/core/errors';
import type { DemoStage } from './demo-context';

/** The month the example readings cover (examples/readings-2026-03.csv). */
export const DEMO_BILLING_MONTH = '2026-03';

export interface BillingStageOptions {
  /** Folder with billing.yaml and readings-<month>.csv; default `examples/` of the repository. */
  readonly examplesDir?: string;
  /** Where the invoices go; default `.local/invoices/<month>/`. */
  readonly outDir?: string;
}

/**
 * `npm start` stage: bill the example month the way `ekm-pipeline bill --out` does (same use-case,
 * same file adapters): examples/billing.yaml priced over the example readings, then per tenant a
 * JSON and a printable HTML invoice and one CSV for accounting under `.local/invoices/`. Needs no
 * other stage: billing reads files, not the local cloud.
 */
export function makeBillingStage(opts: BillingStageOptions = {}): DemoStage {
  return {
    name: `Tenant billing (examples/billing.yaml, ${DEMO_BILLING_MONTH}): invoices as HTML, JSON and CSV`,
    async run(ctx) {
      const root = join(ctx.stateDir, '..');
      const examples = opts.examplesDir ?? join(root, 'examples');
      const out = opts.outDir ?? join(ctx.stateDir, 'invoices', DEMO_BILLING_MONTH);
      const shown = (path: string) => (path.startsWith(root) ? relative(root, path) : path);
      const bill = billMonthFromFiles({
        billingFile: join(examples, 'billing.yaml'),
        readingsFile: join(examples, `readings-${DEMO_BILLING_MONTH}.csv`),
      });
      const result = await bill({ month: DEMO_BILLING_MONTH });
      const failed = result.properties.filter((p) => !p.ok);
      if (failed.length > 0) {
        throw new EkmPipelineError(
          'DEMO_BILLING',
          `not billed: ${failed.map((p) => `${p.property} (${p.error ?? 'unknown error'})`).join('; ')}`,
        );
      }
      const { files } = await writeInvoices(out, result.invoices);
      ctx.log(`wrote ${files.length} files to ${shown(out)}`);
      const lines = result.invoices.map((invoice) => {
        const html = join(out, `${invoiceId(invoice)}.html`);
        const who = invoice.tenantName ? `${invoice.tenant} (${invoice.tenantName})` : invoice.tenant;
        return `${invoice.property} ${who}: ${formatMoney(invoice.totalMinor, invoice.currency)} for ${formatNumber(invoice.kWh, 1, 1)} kWh, ${invoice.period.start}..${invoice.period.end} → ${shown(html)}`;
      });
      const csv = files.filter((f) => f.endsWith('.csv')).map(shown);
      lines.push(`accounting CSV: ${csv.join(', ')}`);
      return lines;
    },
  };
}

export const billingStage: DemoStage = makeBillingStage();

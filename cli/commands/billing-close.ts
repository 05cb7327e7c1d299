import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import {
  BILLING_LEASE_SECONDS,
  openBillingCloseFromConfig,
  releaseBillingLease,
  validateBillingFile,
} from '../../functions/composition/billing';
import { type ClosedBody, sequenceOfNumber } from '../../functions/core/billing/close';
import { minorDigits } from '../../functions/core/billing/money';
import { EkmPipelineError, ValidationError } from '../../functions/core/errors';
import type { ObjectStore } from '../../functions/ports/object-store';
import type { CloseBillingMonthResult } from '../../functions/use-cases/close-billing-month';
import { CONFIG_OPTION_HELP, findProjectConfig } from '../config-option';
import { EXIT_FAILURE, EXIT_OK, printResult } from '../output';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function checkMonth(month: string): void {
  if (!MONTH.test(month))
    throw new ValidationError('--month', `expected YYYY-MM, got ${JSON.stringify(month)}; write e.g. 2026-03`);
}

/** Copy published objects into a local folder (the mirror), keeping their keys as paths. */
async function mirror(objects: ObjectStore, keys: readonly string[], dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const key of keys) {
    const body = await objects.get(key);
    if (!body) continue;
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    out.push(path);
  }
  return out;
}

/** Amount text `12.34` in a currency's minor digits (credit --amount). */
function parseAmount(text: string): number {
  if (!/^\d+(\.\d{1,4})?$/.test(text))
    throw new ValidationError('--amount', `expected a positive amount such as 12.50, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * `bill close`, `bill credit`, `bill unlock` (docs/billing.md "Monthly close"): the close over the
 * project config's state table, invoices published under `invoices/` of its lake bucket.
 */
export function registerBillClose(bill: Command): void {
  bill
    .command('close')
    .description(
      'Close a drafted month: number the invoices (gapless per property), freeze them, publish JSON, HTML and the accounting CSV under invoices/<property>/<month>/ in the lake bucket; a re-run converges',
    )
    .requiredOption('--month <YYYY-MM>', 'the month to close (drafted before with `ekm-pipeline bill --config ...`)')
    .option('--property <id>', 'close only this property (default: every property drafted for the month)')
    .option('--billing <file>', 'billing file, to find the properties when --property is not given')
    .option('--out <dir>', 'also copy the published files into this folder (the local mirror), by object key')
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--json', 'print a JSON document instead of text', false)
    .action(
      async (opts: {
        month: string;
        property?: string;
        billing?: string;
        out?: string;
        config?: string;
        json: boolean;
      }) => {
        checkMonth(opts.month);
        const config = findProjectConfig(opts.config);
        const close = openBillingCloseFromConfig(config, opts.billing ? { billingFile: opts.billing } : {});
        try {
          let properties: string[];
          if (opts.property) properties = [opts.property];
          else if (opts.billing)
            properties = (await validateBillingFile(opts.billing)).billing.properties.map((p) => p.id);
          else
            throw new ValidationError(
              '--property',
              'name the property to close (--property P), or pass --billing FILE to close every property in it',
            );
          const results: (CloseBillingMonthResult & { files: string[]; currency: string })[] = [];
          const failures: { property: string; code: string; message: string }[] = [];
          for (const property of properties) {
            try {
              const r = await close.close({ month: opts.month, property });
              const published = r.published.length
                ? r.published
                : (await close.objects.list(`invoices/`))
                    .map((o) => o.key)
                    .filter((k) => k.includes(`/${opts.month}/`));
              const files = opts.out ? await mirror(close.objects, published, opts.out) : [];
              const first = (await close.store.listClosed(property, opts.month))[0];
              const currency = first ? (JSON.parse(first.body) as ClosedBody).invoice.currency : 'USD';
              results.push({ ...r, files, currency });
            } catch (error) {
              if (!(error instanceof EkmPipelineError)) throw error;
              failures.push({ property, code: error.code, message: error.message });
            }
          }
          printResult(opts, { ok: failures.length === 0, month: opts.month, closed: results, failures }, () => {
            const lines: string[] = [];
            for (const r of results) {
              lines.push(`Closed ${r.property} ${r.month}: ${r.invoices.length} invoice(s)`);
              for (const i of r.invoices)
                lines.push(
                  `  ${i.number}  ${i.tenant}  ${(i.totalMinor / 10 ** minorDigits(r.currency)).toFixed(minorDigits(r.currency))} ${r.currency}${i.created ? '' : '  (closed earlier)'}`,
                );
              if (r.published.length)
                lines.push(
                  `  published ${r.published.length} object(s) under ${config.lake?.prefix ?? ''}invoices/ in s3://${config.lake?.bucket}`,
                );
              else lines.push('  already published (nothing rewritten)');
              for (const f of r.files) lines.push(`  → ${f}`);
            }
            return lines.join('\n');
          });
          for (const f of failures) process.stderr.write(`error [${f.code}]: ${f.property}: ${f.message}\n`);
          process.exitCode = failures.length === 0 ? EXIT_OK : EXIT_FAILURE;
        } finally {
          close.dispose();
        }
      },
    );

  bill
    .command('credit')
    .description(
      'Issue a credit note against a closed invoice (never edits it): numbered in the property’s sequence, published beside the invoice',
    )
    .requiredOption('--property <id>', 'the property of the invoice')
    .requiredOption('--invoice <number>', 'the closed invoice’s number (e.g. ELM-2026-03-0002)')
    .requiredOption('--reason <text>', 'why (printed on the credit note)')
    .option('--amount <amount>', 'amount to credit, in the invoice’s currency (default: what is left of its total)')
    .option(
      '--request-id <id>',
      'idempotency key (e.g. your support case or letter reference): the same id never issues two notes (default: derived from invoice, amount and reason)',
    )
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--json', 'print a JSON document instead of text', false)
    .action(
      async (opts: {
        property: string;
        invoice: string;
        reason: string;
        amount?: string;
        requestId?: string;
        config?: string;
        json: boolean;
      }) => {
        const config = findProjectConfig(opts.config);
        const close = openBillingCloseFromConfig(config, {});
        try {
          const original = await close.store.getBySeq(opts.property, sequenceOfNumber(opts.invoice));
          const currency = original
            ? (JSON.parse(original.body) as { invoice: { currency: string } }).invoice.currency
            : 'USD';
          const amountMinor =
            opts.amount !== undefined ? Math.round(parseAmount(opts.amount) * 10 ** minorDigits(currency)) : undefined;
          const requestId =
            opts.requestId ??
            `cli-${createHash('sha256')
              .update(`${opts.invoice}\n${amountMinor ?? 'all'}\n${opts.reason}`)
              .digest('hex')
              .slice(0, 16)}`;
          const r = await close.creditNote({
            property: opts.property,
            invoiceNumber: opts.invoice,
            requestId,
            reason: opts.reason,
            ...(amountMinor !== undefined ? { amountMinor } : {}),
          });
          printResult(opts, { ok: true, requestId, ...r }, () =>
            [
              `${r.created ? 'Issued' : 'Already issued'} credit note ${r.number} for ${(r.amountMinor / 10 ** minorDigits(currency)).toFixed(minorDigits(currency))} ${currency} against ${r.refersTo} (request ${requestId})`,
              ...r.published.map((k) => `  published ${k}`),
            ].join('\n'),
          );
          process.exitCode = EXIT_OK;
        } finally {
          close.dispose();
        }
      },
    );

  bill
    .command('unlock')
    .description(
      `Release a property's billing lease after a draft, close or credit note died (a lease lapses by itself after ${BILLING_LEASE_SECONDS} s)`,
    )
    .requiredOption('--property <id>', 'the property whose billing lease to release')
    .option('--force', 'also release a lease that has not expired (only when you know its run is dead)', false)
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--json', 'print a JSON document instead of text', false)
    .action(async (opts: { property: string; force: boolean; config?: string; json: boolean }) => {
      const config = findProjectConfig(opts.config);
      const r = await releaseBillingLease(config, opts.property, { force: opts.force });
      printResult(opts, r, () =>
        r.owner === undefined
          ? `${r.lease}: no lease held`
          : r.released
            ? `${r.lease}: released (held by run ${r.owner}, ${r.expired ? 'expired' : 'active'}, until ${new Date(r.leaseUntilMs ?? 0).toISOString()})`
            : `${r.lease}: kept (run ${r.owner} holds it until ${new Date(r.leaseUntilMs ?? 0).toISOString()}; it may be working; pass --force if that run is dead)`,
      );
      if (r.owner !== undefined && !r.released) {
        if (!opts.json)
          throw new EkmPipelineError(
            'LEASE_ACTIVE',
            `${r.lease} not released: the lease has not expired; wait for its run, or pass --force if it is dead`,
          );
        process.exitCode = EXIT_FAILURE;
      } else process.exitCode = EXIT_OK;
    });
}

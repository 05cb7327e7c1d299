import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  billMonthFromFiles,
  openBillingCloseFromConfig,
  validateBillingFile,
  writeInvoices,
} from '../../functions/composition/billing';
import type { ProjectConfig } from '../../functions/config/project-config';
import { BillingFileError, formatBillingIssue } from '../../functions/core/billing/billing-file';
import type { Invoice } from '../../functions/core/billing/model';
import { minorDigits } from '../../functions/core/billing/money';
import { invoiceToJson } from '../../functions/core/billing/render-json';
import { parseUrdbRecord } from '../../functions/core/billing/tariff';
import { renderTariffTable } from '../../functions/core/billing/tariff-table';
import { asError, ValidationError } from '../../functions/core/errors';
import type { BillMonthResult } from '../../functions/use-cases/bill-month';
import type { DraftBillingMonthResult } from '../../functions/use-cases/draft-billing-month';
import { findProjectConfig } from '../config-option';
import { EXIT_FAILURE, EXIT_OK, printResult } from '../output';
import { registerBillClose } from './billing-close';

interface BillOpts {
  billing: string;
  month: string;
  property?: string;
  readings?: string;
  dryRun?: boolean;
  json?: boolean;
  out?: string;
  template?: string;
  config?: string;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function money(minor: number, currency: string): string {
  const d = minorDigits(currency);
  return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 || c === r.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

function renderBill(result: BillMonthResult, files: readonly string[], opts: BillOpts): string {
  const out: string[] = [];
  for (const p of result.properties) {
    out.push(`Property ${p.property}, ${result.month}${p.ok ? '' : ': NOT BILLED'}`);
    if (!p.ok) {
      out.push(`  error: ${p.error}`, '');
      continue;
    }
    const invoices = result.invoices.filter((i) => i.property === p.property);
    const rows = [['tenant', 'kWh', 'peak kW', 'total', 'flags']];
    for (const i of invoices) {
      rows.push([
        i.tenant,
        i.kWh.toFixed(1),
        i.peakKw.toFixed(2),
        money(i.totalMinor, i.currency),
        [...new Set(i.flags.map((f) => f.code))].join(' '),
      ]);
    }
    out.push(...table(rows).map((l) => `  ${l}`));
    for (const n of p.notBilled) out.push(`  ${n.tenant}: not billed (${n.reason})`);
    for (const c of p.commonAreas) {
      const cur = invoices[0]?.currency ?? 'USD';
      out.push(
        `  common area ${c.id}: ${c.kWh.toFixed(1)} kWh, ${money(c.totalMinor, cur)} split ${Object.entries(c.shares)
          .map(([t, m]) => `${t} ${money(m, cur)}`)
          .join(', ')}`,
      );
    }
    out.push('');
  }
  if (opts.dryRun) out.push('Dry run: nothing written.');
  else if (files.length > 0) out.push(`Wrote ${files.length} files to ${opts.out}:`, ...files.map((f) => `  ${f}`));
  else if (!opts.out) out.push('No files written (pass --out DIR for JSON, HTML and CSV invoices).');
  return out.join('\n');
}

function renderDrafts(drafts: DraftBillingMonthResult, config: ProjectConfig): string {
  const lines = drafts.properties.map((p) =>
    p.status === 'drafted'
      ? `Drafts: ${p.property} ${drafts.month}: ${p.drafts} draft invoice(s) stored in ${config.state?.table}${p.adjustments.length ? `, ${p.adjustments.length} with an adjustment for ${p.adjustments[0]?.month}` : ''}; close with \`ekm-pipeline bill close --month ${drafts.month} --property ${p.property}\``
      : p.status === 'closed'
        ? `Drafts: ${p.property} ${drafts.month} is already closed; its invoices stay as they are (late data goes into next month's adjustment lines)`
        : `Drafts: ${p.property} ${drafts.month}: not drafted (${p.error ?? 'billing error'})`,
  );
  for (const p of drafts.properties)
    for (const a of p.unplacedAdjustments)
      lines.push(
        `  ${p.property} ${a.tenant}: ${a.month} invoice ${a.invoiceNumber} changed by late data (${a.oldTotalMinor} → ${a.newTotalMinor} minor units) and the tenant has no invoice this month: issue a credit note (ekm-pipeline bill credit)`,
      );
  return lines.join('\n');
}

function billingFileErrorJson(error: BillingFileError) {
  return { ok: false, issues: error.issues, messages: error.issues.map(formatBillingIssue) };
}

/** `ekm-pipeline bill`, `ekm-pipeline billing validate`, `ekm-pipeline tariff show`. */
export function registerBilling(program: Command): void {
  // `bill close --month M`: without positional options the program hands `bill` the arguments after
  // `close`, and `bill` would take `--month` for itself (the program's only option is --version).
  program.enablePositionalOptions();
  const bill = program
    .command('bill')
    .description(
      'Bill tenants for one month from register reads: invoices per tenant (energy, demand, fixed, fees, common areas, credits, taxes)',
    )
    // Checked in the action, not as commander's requiredOption: commander also demands an ancestor's
    // required options from its subcommands (bill close/credit/unlock).
    .option('--billing <file>', 'billing file (YAML or JSON, schemas/billing.schema.json) (required)')
    .option('--month <YYYY-MM>', 'month to bill, in each property’s local time (required)')
    .option('--property <id>', 'bill only this property')
    .option(
      '--readings <file>',
      'register reads: CSV meter,time,kWh_Tot[,Rev_kWh_Tot,...] or a realtime lake Parquet file',
    )
    .option('--dry-run', 'price and print, write nothing', false)
    .option('--json', 'print one JSON document {"invoices":[...]} instead of text', false)
    .option('--out <dir>', 'write per invoice JSON + HTML, and one CSV per property for accounting')
    .option('--template <file>', 'HTML invoice template (default: the built-in page; see templates/invoice.html)')
    .option(
      '--config <path>',
      'project config: with a state table, the month is also drafted there (replacing the drafts of an unclosed month) for `bill close`; without --config nothing is stored',
    )
    .addHelpText(
      'after',
      '\nThe monthly close (docs/billing.md "Monthly close"):\n  ekm-pipeline bill --config C --billing F --month M     price and store drafts\n  ekm-pipeline bill close --month M [--property P]      number, freeze, publish under invoices/ of the lake bucket\n  ekm-pipeline bill credit --property P --invoice N --reason TEXT\n  ekm-pipeline bill unlock --property P                 release the lease of a dead draft or close',
    )
    .enablePositionalOptions()
    .action(async (opts: BillOpts, cmd: Command) => {
      for (const [flag, value] of [
        ['--billing <file>', opts.billing],
        ['--month <YYYY-MM>', opts.month],
      ] as const)
        if (value === undefined) cmd.error(`error: required option '${flag}' not specified`);
      if (!MONTH.test(opts.month))
        throw new ValidationError('--month', `expected YYYY-MM, got ${JSON.stringify(opts.month)}; write e.g. 2026-03`);
      // Without --readings, usage comes from the project config's lake (functions/adapters/lake-readings.ts).
      const lake = opts.readings ? undefined : findProjectConfig(opts.config, { required: false })?.lake;
      const bill = billMonthFromFiles({
        billingFile: opts.billing,
        ...(opts.readings ? { readingsFile: opts.readings } : {}),
        ...(lake ? { lake } : {}),
        onRows: (rows) => {
          if (!opts.json && rows >= 100_000) process.stderr.write(`reading ${opts.readings}: ${rows} rows\n`);
        },
        onProperty: (id, i, n) => {
          if (n > 1 && !opts.json) process.stderr.write(`billing ${id} (${i + 1}/${n})\n`);
        },
      });
      let result: BillMonthResult;
      try {
        result = await bill({ month: opts.month, ...(opts.property ? { property: opts.property } : {}) });
      } catch (error) {
        if (opts.json && error instanceof BillingFileError) {
          printResult(opts, billingFileErrorJson(error), () => '');
          process.exitCode = EXIT_FAILURE;
          return;
        }
        throw error;
      }
      // Drafts only when --config names a project config: pricing files alone never needs DynamoDB.
      let drafts: DraftBillingMonthResult | undefined;
      const config = opts.config && !opts.dryRun ? findProjectConfig(opts.config) : undefined;
      if (config?.state && result.properties.some((p) => p.ok)) {
        const close = openBillingCloseFromConfig(config, {
          billingFile: opts.billing,
          ...(opts.readings ? { readingsFile: opts.readings } : {}),
        });
        try {
          drafts = await close.draft({ month: opts.month, ...(opts.property ? { property: opts.property } : {}) });
        } finally {
          close.dispose();
        }
      }
      let files: string[] = [];
      if (opts.out && !opts.dryRun && result.invoices.length > 0) {
        files = (await writeInvoices(opts.out, result.invoices, opts.template ? { template: opts.template } : {}))
          .files;
      }
      const failed = result.properties.filter((p) => !p.ok);
      printResult(
        opts,
        {
          invoices: result.invoices.map((i: Invoice) => invoiceToJson(i)),
          month: result.month,
          ok: result.ok,
          properties: result.properties,
          files,
          ...(drafts ? { drafts } : {}),
        },
        () => [renderBill(result, files, opts), ...(drafts && config ? [renderDrafts(drafts, config)] : [])].join('\n'),
      );
      if (!opts.json && failed.length > 0)
        process.stderr.write(
          `error: ${failed.length} propert${failed.length === 1 ? 'y' : 'ies'} not billed (${failed.map((p) => p.property).join(', ')}); the reasons are above\n`,
        );
      process.exitCode = result.ok && (drafts?.ok ?? true) ? EXIT_OK : EXIT_FAILURE;
    });
  registerBillClose(bill);

  const billing = program.command('billing').description('Billing file tools');
  billing
    .command('validate')
    .argument('<file>', 'billing file (YAML or JSON)')
    .description('Check a billing file: schema, dates, plans, tenancies and meters, and parse every tariff it names')
    .option('--json', 'print a JSON document instead of text', false)
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const { billing: doc, tariffs } = await validateBillingFile(file);
        const summary = {
          ok: tariffs.errors.length === 0,
          file,
          properties: doc.properties.map((p) => ({
            id: p.id,
            timezone: p.timezone,
            currency: p.currency,
            plans: p.plans.map((pl) => ({ id: pl.id, versions: pl.versions.map((v) => v.from) })),
            tenants: p.tenants.length,
            commonAreas: p.commonAreas.length,
          })),
          tariffVersions: tariffs.versions,
          messages: tariffs.errors,
        };
        printResult(opts, summary, () =>
          summary.ok
            ? `${file}: valid: ${doc.properties.length} propert${doc.properties.length === 1 ? 'y' : 'ies'}, ${summary.properties.reduce((n, p) => n + p.tenants, 0)} tenant(s), ${tariffs.versions} tariff version(s) parsed`
            : `${file}: ${tariffs.errors.length} problem(s) in the tariffs it names:\n  ${tariffs.errors.join('\n  ')}`,
        );
        process.exitCode = summary.ok ? EXIT_OK : EXIT_FAILURE;
      } catch (error) {
        if (opts.json && error instanceof BillingFileError) {
          printResult(opts, billingFileErrorJson(error), () => '');
          process.exitCode = EXIT_FAILURE;
          return;
        }
        throw error;
      }
    });

  program
    .command('tariff')
    .description('Tariff tools')
    .command('show')
    .argument('<file>', 'a URDB record (JSON)')
    .option('--override <json>', 'URDB fields to override, as JSON (e.g. \'{"fixedchargefirstmeter": 14.5}\')')
    .description('Show a URDB tariff record as the engine reads it: periods, tiers, TOU grids, demand, charges')
    .action(async (file: string, opts: { override?: string }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (cause) {
        throw new ValidationError(file, `cannot read the tariff file (${asError(cause).message})`, { cause });
      }
      let record: unknown;
      let override: Record<string, unknown> | undefined;
      try {
        record = JSON.parse(text);
      } catch (cause) {
        throw new ValidationError(file, `not JSON: ${asError(cause).message}`, { cause });
      }
      const items = (record as { items?: unknown[] }).items;
      if (Array.isArray(items) && items.length === 1) record = items[0];
      if (opts.override !== undefined) {
        try {
          override = JSON.parse(opts.override) as Record<string, unknown>;
        } catch (cause) {
          throw new ValidationError('--override', `not JSON: ${asError(cause).message}`, { cause });
        }
        if (typeof override !== 'object' || override === null || Array.isArray(override))
          throw new ValidationError('--override', 'expected a JSON object of URDB fields, e.g. {"mincharge": 10}');
      }
      process.stdout.write(`${renderTariffTable(parseUrdbRecord(record, file, override))}\n`);
      process.exitCode = EXIT_OK;
    });
}

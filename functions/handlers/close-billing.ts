/**
 * Scheduled Lambda `close-billing`: on the cut-off day (plus the grace period for late reads) an
 * EventBridge Scheduler schedule per time zone invokes it with `{ "timezone": "<IANA zone>" }`;
 * every property of the billing file (BILLING_FILE_KEY in LAKE_BUCKET) in that zone is drafted and
 * closed for the month before (functions/use-cases/scheduled-close.ts), invoices published under
 * `invoices/` in the lake bucket. Logs EMF `EkmPipeline/BillingEstimatedShareMax` (the CDK alarm)
 * and `BillingEstimatedShare` per Property, then a summary. A property that failed fails the run,
 * so retries, the dead-letter queue and the error alarm see it; a re-run converges.
 */
import { openScheduledClose, type ScheduledCloseInput, type ScheduledCloseResult } from '../composition/billing';
import { loadCloseBillingConfig } from '../config/close-billing-config';
import { closeMetricDocuments } from '../core/billing/close-metrics';
import { EkmPipelineError, ValidationError } from '../core/errors';
import { startOnce } from './start-once';

/** The Scheduler's input (lib/stacks/etl-stack.ts); `property` and `month` for a manual re-run. */
export interface CloseBillingEvent {
  readonly timezone?: string;
  readonly property?: string;
  readonly month?: string;
}

export interface CloseBillingSummary extends ScheduledCloseResult {
  readonly msg: 'billing close';
}

/** Pick the known fields of the event; anything else is refused by name. */
export function parseCloseBillingEvent(event: unknown): ScheduledCloseInput {
  if (event === undefined || event === null) return {};
  if (typeof event !== 'object' || Array.isArray(event))
    throw new ValidationError('event', `expected {"timezone": "<IANA zone>"}, got ${JSON.stringify(event)}`);
  const e = event as Record<string, unknown>;
  const out: { timezone?: string; property?: string; month?: string } = {};
  for (const field of ['timezone', 'property', 'month'] as const) {
    const v = e[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '')
      throw new ValidationError(`event.${field}`, `expected a non-empty string, got ${JSON.stringify(v)}`);
    out[field] = v;
  }
  return out;
}

/** The handler around a scheduled close; `log` receives the EMF lines and the summary. */
export function makeCloseBillingHandler(
  start: () => Promise<(input: ScheduledCloseInput) => Promise<ScheduledCloseResult>>,
  opts: { readonly log?: (line: string) => void; readonly now?: () => number } = {},
) {
  const log = opts.log ?? ((line: string) => console.log(line));
  const now = opts.now ?? Date.now;
  return async (event?: unknown): Promise<CloseBillingSummary> => {
    const input = parseCloseBillingEvent(event);
    const result = await (await start())(input);
    const closed = result.properties.filter((p) => p.ok);
    for (const doc of closeMetricDocuments(closed, now())) log(JSON.stringify(doc));
    const summary: CloseBillingSummary = { msg: 'billing close', ...result };
    log(JSON.stringify(summary));
    if (!result.ok) {
      const failed = result.properties.filter((p) => !p.ok);
      throw new EkmPipelineError(
        'BILLING_CLOSE_FAILED',
        `${failed.length} propert${failed.length === 1 ? 'y' : 'ies'} not closed: ${failed.map((p) => `${p.property} ${p.month} (${p.error})`).join('; ')}`,
      );
    }
    return summary;
  };
}

export const handler = makeCloseBillingHandler(
  startOnce(() => openScheduledClose(loadCloseBillingConfig(process.env))),
);

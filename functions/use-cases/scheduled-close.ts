/**
 * The scheduled monthly close of one time zone (functions/handlers/close-billing.ts; `npm start --
 * --serve`): on the cut-off day, every property of the billing file in that zone is drafted and
 * closed for the month before, and its share of estimated usage is measured.
 *
 * Input: the time zone (as the schedule names it), optionally one property or month. Output: per
 * property the close (numbers, published keys) or the error, and the estimated share.
 * 1. Load the billing file; pick the properties in the zone (or the one asked for).
 * 2. The month: the one before `now` in that zone, unless given.
 * 3. Per property, in file order: draft (a closed month is left alone), close (a re-run converges,
 *    use-cases/close-billing-month.ts), then the share of estimated kWh from the stored usage.
 * 4. Every property is tried; the result says which failed (the handler then fails the run so the
 *    retries, dead-letter queue and alarm see it).
 */

import { estimatedShare, monthBeforeIn } from '../core/billing/close-metrics';
import { asError, ValidationError } from '../core/errors';
import type { BillingFileSource } from '../ports/billing-sources';
import type { BillingStore } from '../ports/billing-store';
import type { Clock } from '../ports/clock';
import type { CloseBillingMonthInput, CloseBillingMonthResult } from './close-billing-month';
import type { DraftBillingMonthInput, DraftBillingMonthResult } from './draft-billing-month';

export interface ScheduledCloseDeps {
  readonly billing: BillingFileSource;
  readonly store: BillingStore;
  readonly clock: Clock;
  readonly draft: (input: DraftBillingMonthInput) => Promise<DraftBillingMonthResult>;
  readonly close: (input: CloseBillingMonthInput) => Promise<CloseBillingMonthResult>;
}

export interface ScheduledCloseInput {
  /** IANA zone of the schedule; properties with this `timezone` are closed. */
  readonly timezone?: string;
  readonly property?: string;
  /** `YYYY-MM`; default the month before now in the zone. */
  readonly month?: string;
}

export interface ScheduledClosePropertyOutcome {
  readonly property: string;
  readonly month: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly invoices: number;
  /** Invoices numbered by this run (0 when an earlier run had closed the month). */
  readonly created: number;
  readonly published: number;
  /** Estimated kWh over billed kWh of the month, 0..1. */
  readonly estimatedShare: number;
}

export interface ScheduledCloseResult {
  readonly timezone?: string;
  readonly properties: readonly ScheduledClosePropertyOutcome[];
  readonly ok: boolean;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function makeScheduledClose(deps: ScheduledCloseDeps) {
  return async (input: ScheduledCloseInput): Promise<ScheduledCloseResult> => {
    if (input.month !== undefined && !MONTH.test(input.month))
      throw new ValidationError('month', `expected YYYY-MM, got ${JSON.stringify(input.month)}`);
    const file = await deps.billing.load();
    const chosen = file.properties.filter(
      (p) =>
        (input.property === undefined || p.id === input.property) &&
        (input.timezone === undefined || p.timezone === input.timezone),
    );
    if (input.property !== undefined && chosen.length === 0)
      throw new ValidationError(
        'property',
        `no property ${JSON.stringify(input.property)}${input.timezone ? ` in time zone ${input.timezone}` : ''} in ${deps.billing.file}`,
      );
    const outcomes: ScheduledClosePropertyOutcome[] = [];
    for (const p of chosen) {
      const month = input.month ?? monthBeforeIn(deps.clock.now(), p.timezone);
      const failed = (error: string): ScheduledClosePropertyOutcome => ({
        property: p.id,
        month,
        ok: false,
        error,
        invoices: 0,
        created: 0,
        published: 0,
        estimatedShare: 0,
      });
      try {
        const drafted = await deps.draft({ month, property: p.id });
        const outcome = drafted.properties.find((o) => o.property === p.id);
        if (outcome?.status === 'failed') {
          outcomes.push(failed(`not drafted: ${outcome.error ?? 'billing error'}`));
          continue;
        }
        const closed = await deps.close({ month, property: p.id });
        outcomes.push({
          property: p.id,
          month,
          ok: true,
          invoices: closed.invoices.length,
          created: closed.invoices.filter((i) => i.created).length,
          published: closed.published.length,
          estimatedShare: estimatedShare(await deps.store.listUsage(p.id, month)),
        });
      } catch (error) {
        const e = asError(error);
        outcomes.push(failed(`${'code' in e && typeof e.code === 'string' ? `[${e.code}] ` : ''}${e.message}`));
      }
    }
    return {
      ...(input.timezone !== undefined ? { timezone: input.timezone } : {}),
      properties: outcomes,
      ok: outcomes.every((o) => o.ok),
    };
  };
}

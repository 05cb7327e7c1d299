import { METRIC_NAMES, METRIC_NAMESPACE } from '../metric-names';

/**
 * CloudWatch Embedded Metric Format for the scheduled monthly close (functions/handlers/close-billing.ts):
 * `BillingEstimatedShare` per `Property` and `BillingEstimatedShareMax` (no dimensions; the CDK
 * alarm in lib/stacks/etl-stack.ts watches its Maximum). A share is the part of a month's billed
 * kWh that the engine estimated for gaps (docs/billing.md), from 0 to 1.
 */
export const CLOSE_METRICS = {
  namespace: METRIC_NAMESPACE,
  /** Per property. */
  estimatedShare: METRIC_NAMES.billingEstimatedShare,
  /** The largest share of one close run (what the alarm watches). */
  estimatedShareMax: METRIC_NAMES.billingEstimatedShareMax,
} as const;

/** Usage of one tenant per local day, as the draft stores it (ports/billing-store.ts `TenantUsageRecord`). */
export interface UsageDays {
  readonly days: readonly { readonly kWh: number; readonly estimated: boolean }[];
}

/** Estimated kWh over all kWh of a month's usage records; 0 when nothing was used. */
export function estimatedShare(usage: readonly UsageDays[]): number {
  let total = 0;
  let estimated = 0;
  for (const u of usage)
    for (const d of u.days) {
      const kWh = Math.abs(d.kWh);
      total += kWh;
      if (d.estimated) estimated += kWh;
    }
  return total > 0 ? estimated / total : 0;
}

/** The EMF documents of one close run at `nowMs`: one per property plus the run's maximum. */
export function closeMetricDocuments(
  properties: readonly { readonly property: string; readonly estimatedShare: number }[],
  nowMs: number,
): Record<string, unknown>[] {
  const doc = (metric: string, dimensions: string[][], values: Record<string, unknown>) => ({
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        { Namespace: CLOSE_METRICS.namespace, Dimensions: dimensions, Metrics: [{ Name: metric, Unit: 'None' }] },
      ],
    },
    ...values,
  });
  const max = properties.reduce((m, p) => Math.max(m, p.estimatedShare), 0);
  return [
    doc(CLOSE_METRICS.estimatedShareMax, [[]], { [CLOSE_METRICS.estimatedShareMax]: max }),
    ...properties.map((p) =>
      doc(CLOSE_METRICS.estimatedShare, [['Property']], {
        Property: p.property,
        [CLOSE_METRICS.estimatedShare]: p.estimatedShare,
      }),
    ),
  ];
}

/** The `YYYY-MM` before the month that contains `nowMs` in `timeZone` (the month a close on the cut-off day closes). */
export function monthBeforeIn(nowMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(
    new Date(nowMs),
  );
  const year = Number(parts.find((p) => p.type === 'year')?.value);
  const month = Number(parts.find((p) => p.type === 'month')?.value);
  const y = month === 1 ? year - 1 : year;
  const m = month === 1 ? 12 : month - 1;
  return `${y}-${String(m).padStart(2, '0')}`;
}

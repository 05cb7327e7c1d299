/**
 * Every CloudWatch metric the pipeline emits (Embedded Metric Format log lines) and the stacks
 * alarm on: one namespace and one typed name each, imported by the emitters
 * (core/triggers/drift-metrics.ts, core/billing/close-metrics.ts) and, through them, by
 * lib/stacks/etl-stack.ts, so an emitter and its alarm cannot drift apart.
 */
export const METRIC_NAMESPACE = 'EkmPipeline';

export const METRIC_NAMES = {
  /** Pending trigger write changes over all gateways of one drift check (alarmed). */
  triggerDriftTotal: 'TriggerDriftTotal',
  /** Pending trigger write changes of one `Gateway`. */
  triggerDrift: 'TriggerDrift',
  /** Estimated share of one `Property`'s billed kWh in a monthly close. */
  billingEstimatedShare: 'BillingEstimatedShare',
  /** The largest estimated share of one close run (alarmed). */
  billingEstimatedShareMax: 'BillingEstimatedShareMax',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

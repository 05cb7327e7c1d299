import { METRIC_NAMES, METRIC_NAMESPACE } from '../metric-names';

/**
 * CloudWatch Embedded Metric Format for trigger drift: one log line per check that CloudWatch turns
 * into metrics without an API call. `TriggerDriftTotal` (no dimensions; the CDK alarm in lib/stacks/etl-stack.ts
 * watches its Maximum) and `TriggerDrift` per `Gateway`.
 */
export const DRIFT_METRICS = {
  namespace: METRIC_NAMESPACE,
  /** Pending write changes over all gateways of one check (what the alarm watches). */
  total: METRIC_NAMES.triggerDriftTotal,
  /** Per `Gateway`. */
  perGateway: METRIC_NAMES.triggerDrift,
} as const;

/** Namespace and metric name of the alarmed drift total, in the shape `cloudwatch.Metric` takes. */
export const DRIFT_METRIC = { namespace: DRIFT_METRICS.namespace, metricName: DRIFT_METRICS.total } as const;

export interface GatewayDrift {
  readonly gateway: string;
  /** Write changes still pending after the check. */
  readonly remaining: number;
}

/** The EMF documents (one per gateway plus the total) for a check at `nowMs`. */
export function driftMetricDocuments(gateways: readonly GatewayDrift[], nowMs: number): Record<string, unknown>[] {
  const total = gateways.reduce((n, g) => n + g.remaining, 0);
  const doc = (metric: string, dimensions: string[][], values: Record<string, unknown>) => ({
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        { Namespace: DRIFT_METRICS.namespace, Dimensions: dimensions, Metrics: [{ Name: metric, Unit: 'Count' }] },
      ],
    },
    ...values,
  });
  return [
    doc(DRIFT_METRICS.total, [[]], { [DRIFT_METRICS.total]: total, gateways: gateways.length }),
    ...gateways.map((g) =>
      doc(DRIFT_METRICS.perGateway, [['Gateway']], { Gateway: g.gateway, [DRIFT_METRICS.perGateway]: g.remaining }),
    ),
  ];
}

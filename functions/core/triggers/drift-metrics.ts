/**
 * CloudWatch Embedded Metric Format for trigger drift: one log line per check that CloudWatch turns
 * into metrics without an API call. `TriggerDriftTotal` (no dimensions; the CDK alarm in lib/stacks/etl-stack.ts
 * watches its Maximum) and `TriggerDrift` per `Gateway`.
 */
export const DRIFT_NAMESPACE = 'EkmPipeline';

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
        { Namespace: DRIFT_NAMESPACE, Dimensions: dimensions, Metrics: [{ Name: metric, Unit: 'Count' }] },
      ],
    },
    ...values,
  });
  return [
    doc('TriggerDriftTotal', [[]], { TriggerDriftTotal: total, gateways: gateways.length }),
    ...gateways.map((g) => doc('TriggerDrift', [['Gateway']], { Gateway: g.gateway, TriggerDrift: g.remaining })),
  ];
}

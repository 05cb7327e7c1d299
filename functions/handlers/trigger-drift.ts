/**
 * Scheduled Lambda `trigger-drift`: compares the gateways' live triggers with the desired file in
 * S3 (TRIGGERS_FILE_URI), records each gateway's drift in the state table (STATE_TABLE, `DRIFT#`
 * items), logs CloudWatch EMF metrics `EkmPipeline/TriggerDriftTotal` (the CDK alarm) and
 * `TriggerDrift` per Gateway, and applies drift for gateways in DRIFT_AUTO_APPLY_GATEWAYS.
 * Uses the first key in EKM_KEYS_JSON that has a Trigger API token.
 */
import { type DriftCheckResult, openTriggerDriftCheck } from '../composition/triggers';
import { loadTriggerDriftConfig } from '../config/trigger-drift-config';
import { driftMetricDocuments } from '../core/triggers/drift-metrics';
import { startOnce } from './start-once';

export interface DriftSummary {
  readonly msg: 'trigger drift';
  readonly file: string;
  readonly gateways: number;
  /** Write changes found before auto-apply, and still pending after it. */
  readonly drift: number;
  readonly remaining: number;
  readonly autoApplied: readonly string[];
  readonly drifted: readonly { gateway: string; remaining: number; triggers: string[] }[];
}

function summarize(result: DriftCheckResult): DriftSummary {
  return {
    msg: 'trigger drift',
    file: result.file,
    gateways: result.records.length,
    drift: result.records.reduce((n, r) => n + r.drift, 0),
    remaining: result.totalRemaining,
    autoApplied: result.records.filter((r) => r.autoApplied).map((r) => r.gateway),
    drifted: result.records
      .filter((r) => r.drift > 0)
      .map((r) => ({
        gateway: r.gateway,
        remaining: r.remaining,
        triggers: r.changes.filter((c) => c.action !== 'unmanaged').map((c) => `${c.action} ${c.name}`),
      })),
  };
}

/** The handler around a drift check; `log` receives one EMF line per metric document and a summary. */
export function makeTriggerDriftHandler(
  start: () => Promise<() => Promise<DriftCheckResult>>,
  log = (line: string) => console.log(line),
) {
  return async (_event?: unknown): Promise<DriftSummary> => {
    const result = await (await start())();
    for (const doc of driftMetricDocuments(result.records, result.checkedAtMs)) log(JSON.stringify(doc));
    const summary = summarize(result);
    log(JSON.stringify(summary));
    return summary;
  };
}

export const handler = makeTriggerDriftHandler(
  startOnce(async () => (await openTriggerDriftCheck(loadTriggerDriftConfig(process.env))).check),
);

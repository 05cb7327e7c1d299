import { WRITE_ACTIONS } from '../core/triggers/plan';
import type { Clock } from '../ports/clock';
import type { TriggerApi } from '../ports/trigger-api';
import type { DriftRecord, TriggerDriftStore } from '../ports/trigger-drift-store';
import { type ApplyTriggersResult, makeApplyTriggers } from './apply-triggers';
import { makePlanTriggers } from './plan-triggers';
import { makeValidateTriggers } from './validate-triggers';

export interface CheckTriggerDriftDeps {
  readonly clock: Clock;
  readonly triggers: TriggerApi;
  readonly store: TriggerDriftStore;
  readonly keyAlias: string;
  /** Reads the desired file (S3 in AWS); `name` appears in records and messages. */
  readonly loadDesired: () => Promise<{ readonly name: string; readonly text: string }>;
  /** Gateways whose drift is applied automatically (DRIFT_AUTO_APPLY_GATEWAYS). */
  readonly autoApplyGateways?: ReadonlySet<string>;
  readonly secrets?: readonly string[];
}

export interface DriftCheckResult {
  readonly checkedAtMs: number;
  readonly file: string;
  readonly records: readonly DriftRecord[];
  /** Write changes pending across gateways after any auto-apply. */
  readonly totalRemaining: number;
  readonly apply?: ApplyTriggersResult;
}

/**
 * Check trigger drift (the scheduled Lambda's use-case).
 *
 * Input: nothing (the desired file comes from `loadDesired`). Output: one record per gateway.
 * 1. Read and validate the desired file (a broken file fails the run: the alarm on errors fires).
 * 2. Plan against the live triggers (no prune: triggers made by hand are reported as unmanaged).
 * 3. For gateways in `autoApplyGateways` with drift, apply their changes; what fails stays drift.
 * 4. Record every gateway (drift before, remaining after) in the store.
 */
export function makeCheckTriggerDrift(deps: CheckTriggerDriftDeps) {
  return async (): Promise<DriftCheckResult> => {
    const checkedAtMs = deps.clock.now();
    const { name, text } = await deps.loadDesired();
    const { desired } = await makeValidateTriggers({ clock: deps.clock })({ file: name, text });
    const { plan } = await makePlanTriggers({ triggers: deps.triggers })({ desired });
    const auto = new Set(
      plan.gateways
        .filter((g) => deps.autoApplyGateways?.has(g.mac) && g.changes.some((c) => WRITE_ACTIONS.has(c.action)))
        .map((g) => g.mac),
    );
    const apply =
      auto.size > 0
        ? await makeApplyTriggers({
            triggers: deps.triggers,
            keyAlias: deps.keyAlias,
            onlyGateways: auto,
            secrets: deps.secrets ?? [],
          })(plan)
        : undefined;
    const records: DriftRecord[] = plan.gateways.map((g) => {
      const writes = g.changes.filter((c) => WRITE_ACTIONS.has(c.action));
      const failures = new Map(
        (apply?.outcomes ?? [])
          .filter((o) => o.gateway === g.mac && o.status === 'failed')
          .map((o) => [o.name, o.error]),
      );
      const autoApplied = auto.has(g.mac);
      return {
        gateway: g.mac,
        checkedAtMs,
        file: name,
        keyAlias: deps.keyAlias,
        drift: writes.length,
        remaining: autoApplied ? failures.size : writes.length,
        autoApplied,
        summary: countActions(g.changes.map((c) => c.action)),
        changes: g.changes
          .filter((c) => c.action !== 'unchanged')
          .map((c) => ({
            action: c.action,
            name: c.name,
            ...('uuid' in c ? { uuid: c.uuid } : {}),
            ...('changes' in c ? { paths: c.changes.map((d) => d.path) } : {}),
            ...(failures.has(c.name) ? { error: failures.get(c.name) ?? 'failed' } : {}),
          })),
      };
    });
    await deps.store.record(records);
    return {
      checkedAtMs,
      file: name,
      records,
      totalRemaining: records.reduce((n, r) => n + r.remaining, 0),
      ...(apply ? { apply } : {}),
    };
  };
}

function countActions(actions: readonly DriftRecord['changes'][number]['action'][]): DriftRecord['summary'] {
  const out = { create: 0, update: 0, replace: 0, delete: 0, unchanged: 0, unmanaged: 0 };
  for (const a of actions) out[a]++;
  return out;
}

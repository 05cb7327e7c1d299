import { mapLimit } from '../core/concurrency';
import { EkmPipelineError, redactSecrets } from '../core/errors';
import { toTriggerBody } from '../core/triggers/model';
import type { PlanChange, TriggerPlan } from '../core/triggers/plan';
import type { TriggerApi } from '../ports/trigger-api';

/** The token can read but not write: apply refuses before sending any change. */
export class TriggerPermissionError extends EkmPipelineError {
  override readonly name = 'TriggerPermissionError';
  constructor(keyAlias: string) {
    super(
      'TRIGGER_READ_ONLY_TOKEN',
      `the Trigger API token of key alias ${JSON.stringify(keyAlias)} has READ permission only; nothing was applied. ` +
        'validate and plan work with it, apply needs a READ/WRITE token (create one in the EKM portal and point the key\'s "token" at it)',
    );
  }
}

export interface ApplyTriggersDeps {
  readonly triggers: TriggerApi;
  /** Non-secret alias for messages. */
  readonly keyAlias: string;
  /** Write requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** Gateways whose changes may be applied (default: all in the plan). Used by drift auto-apply. */
  readonly onlyGateways?: ReadonlySet<string>;
  /** Called after each change settles (CLI progress). */
  readonly onChangeDone?: () => void;
  /** Secrets to scrub from error text (the key and token; the client already redacts them). */
  readonly secrets?: readonly string[];
}

export type ApplyStatus = 'applied' | 'failed';

export interface ApplyOutcome {
  readonly gateway: string;
  readonly name: string;
  readonly action: 'create' | 'update' | 'replace' | 'delete';
  readonly status: ApplyStatus;
  /** The trigger's uuid after the change (create/replace) or the one changed/deleted. */
  readonly uuid?: string;
  /** What happened, for a replace that got half-way or a delete of an already-gone trigger. */
  readonly note?: string;
  readonly error?: string;
}

export interface ApplyTriggersResult {
  readonly ok: boolean;
  readonly outcomes: readonly ApplyOutcome[];
  readonly applied: number;
  readonly failed: number;
}

/**
 * Apply a trigger plan.
 *
 * Input: a plan from makePlanTriggers. Output: one outcome per write change, applied or failed,
 * with the error; `ok` only when all succeeded. Unchanged and unmanaged triggers send nothing.
 * 1. Ask the API whether the token may write (no change made); a READ token stops here.
 * 2. Run creates, updates, replaces (delete then create) and deletes with bounded concurrency;
 *    a failure does not stop the others. A re-run plans again from the live state, so it only
 *    redoes what did not happen (convergent).
 */
export function makeApplyTriggers(deps: ApplyTriggersDeps) {
  return async (plan: TriggerPlan): Promise<ApplyTriggersResult> => {
    const work: { gateway: string; change: Exclude<PlanChange, { action: 'unchanged' | 'unmanaged' }> }[] = [];
    for (const g of plan.gateways) {
      if (deps.onlyGateways && !deps.onlyGateways.has(g.mac)) continue;
      for (const change of g.changes)
        if (change.action !== 'unchanged' && change.action !== 'unmanaged') work.push({ gateway: g.mac, change });
    }
    if (work.length === 0) return { ok: true, outcomes: [], applied: 0, failed: 0 };
    if (!(await deps.triggers.canWrite())) throw new TriggerPermissionError(deps.keyAlias);
    const scrub = (error: unknown) =>
      redactSecrets(error instanceof Error ? error.message : String(error), deps.secrets ?? []);
    const outcomes = await mapLimit(work, deps.concurrency ?? 8, async ({ gateway, change }): Promise<ApplyOutcome> => {
      const base = { gateway, name: change.name, action: change.action } as const;
      try {
        switch (change.action) {
          case 'create': {
            const made = await deps.triggers.create(gateway, toTriggerBody(change.desired));
            return { ...base, status: 'applied', uuid: made.trigger_uuid };
          }
          case 'update': {
            await deps.triggers.modify(change.uuid, toTriggerBody(change.desired));
            return { ...base, status: 'applied', uuid: change.uuid };
          }
          case 'delete': {
            const gone = await deps.triggers.delete(change.uuid);
            return {
              ...base,
              status: 'applied',
              uuid: change.uuid,
              ...(gone === 'absent' ? { note: 'was already deleted' } : {}),
            };
          }
          case 'replace': {
            await deps.triggers.delete(change.uuid);
            try {
              const made = await deps.triggers.create(gateway, toTriggerBody(change.desired));
              return { ...base, status: 'applied', uuid: made.trigger_uuid, note: `replaced ${change.uuid}` };
            } catch (error) {
              return {
                ...base,
                status: 'failed',
                note: `old trigger ${change.uuid} was deleted but the new one was not created; re-run apply to create it`,
                error: scrub(error),
              };
            }
          }
        }
      } catch (error) {
        return { ...base, status: 'failed', error: scrub(error) };
      } finally {
        deps.onChangeDone?.();
      }
    });
    const failed = outcomes.filter((o) => o.status === 'failed').length;
    return { ok: failed === 0, outcomes, applied: outcomes.length - failed, failed };
  };
}

/** Human report of an apply: exactly what was and was not applied. */
export function renderApplyResult(result: ApplyTriggersResult): string {
  if (result.outcomes.length === 0) return 'Apply: nothing to do.';
  const lines = result.outcomes.map((o) => {
    const mark = o.status === 'applied' ? '✓' : '✗';
    const extra = [o.uuid ? `uuid ${o.uuid}` : '', o.note ?? '', o.error ? `error: ${o.error}` : '']
      .filter(Boolean)
      .join('; ');
    return `  ${mark} ${o.action.padEnd(7)} ${o.gateway} ${JSON.stringify(o.name)}${extra ? ` (${extra})` : ''}`;
  });
  lines.push(
    result.ok
      ? `Apply complete: ${result.applied} change(s) applied.`
      : `Apply incomplete: ${result.applied} applied, ${result.failed} failed (listed with ✗). Nothing else was changed; re-run apply to finish.`,
  );
  return lines.join('\n');
}

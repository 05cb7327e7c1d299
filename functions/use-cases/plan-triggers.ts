import { mapLimit } from '../core/concurrency';
import type { DesiredTriggers, LiveTrigger } from '../core/triggers/model';
import { type PlanOptions, planTriggers, type TriggerPlan } from '../core/triggers/plan';
import type { TriggerApi } from '../ports/trigger-api';

export interface PlanTriggersDeps {
  readonly triggers: TriggerApi;
  /** Gateways read at once (default 8). */
  readonly concurrency?: number;
  /** Called after each gateway is read (CLI progress). */
  readonly onGatewayRead?: () => void;
}

export interface PlanTriggersInput extends PlanOptions {
  readonly desired: DesiredTriggers;
}

export interface PlanTriggersResult {
  readonly plan: TriggerPlan;
  /** Live triggers per gateway as read. */
  readonly live: ReadonlyMap<string, readonly LiveTrigger[]>;
}

/**
 * Plan trigger changes.
 *
 * Input: the validated desired state and plan options (prune, attributes that need replacement).
 * Output: the plan and the live triggers it was made from.
 * 1. Read each gateway's live triggers (one GET per gateway, bounded concurrency).
 * 2. Match by name within the gateway and diff (core planTriggers).
 */
export function makePlanTriggers(deps: PlanTriggersDeps) {
  return async (input: PlanTriggersInput): Promise<PlanTriggersResult> => {
    const lists = await mapLimit(input.desired.gateways, deps.concurrency ?? 8, async (g) => {
      const list = await deps.triggers.list(g.mac);
      deps.onGatewayRead?.();
      return [g.mac, list] as const;
    });
    const live = new Map(lists);
    return { plan: planTriggers(input.desired, live, input), live };
  };
}

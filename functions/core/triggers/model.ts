/**
 * Desired-state model for gateway triggers ("triggers as code"). Field names follow EKM's Trigger
 * API (docs/ekm-push-apis.md §5.2) so a file reads like the API's own JSON; the
 * only rename is `name` for `trigger_name`. Identity: a trigger is its `name` within its gateway.
 */

/**
 * Every threshold test the Trigger API is known to accept, in ONE place: EKM's table lists
 * the six comparisons; its own request examples use `rise_eq` (docs/ekm-push-apis.md §5.2: the full list is
 * unknown, `fall_eq` would be a guess, so it is not here).
 */
export const THRESHOLD_TESTS = ['==', '!=', '>=', '<=', '>', '<', 'rise_eq'] as const;
export type ThresholdTest = (typeof THRESHOLD_TESTS)[number];

/** Defaults EKM documents for data conditions and triggers. */
export const TRIGGER_DEFAULTS = {
  enabled: true,
  duration: 0,
  hysteresis: 60,
  continuous: false,
  tolerance: 1e-6,
} as const;

/** A data condition: compares a meter field with a threshold. Numbers are numbers here. */
export interface DataCondition {
  readonly type: 'data';
  readonly source: 'meter' | 'iostack';
  /** 12-digit meter address. */
  readonly source_id: string;
  readonly field: string;
  readonly threshold_test: ThresholdTest;
  readonly threshold_value: number;
  readonly duration: number;
  readonly hysteresis: number;
  readonly continuous: boolean;
  readonly tolerance: number;
}

/** A recurrence condition: RFC 5545 text with a UTC DTSTART. */
export interface RruleCondition {
  readonly type: 'rrule';
  readonly rrule: string;
}

export type TriggerCondition = DataCondition | RruleCondition;

/** Switch a relay of a v4/v5 Omnimeter. */
export interface SetRelayAction {
  readonly target: 'meter';
  readonly target_id: string;
  readonly command: 'setRelay';
  readonly params: { readonly relay: string; readonly status: 'open' | 'close'; readonly duration?: number };
}

/** Email notification sent by the gateway. */
export interface SendEmailAction {
  readonly target: 'gateway';
  readonly command: 'sendEmail';
}

export type TriggerAction = SetRelayAction | SendEmailAction;

/** One trigger as the file wants it, defaults filled in. */
export interface TriggerSpec {
  readonly name: string;
  readonly enabled: boolean;
  readonly conditions: readonly TriggerCondition[];
  readonly actions: readonly TriggerAction[];
}

export interface GatewayTriggers {
  /** 12 lower-case hex digits. */
  readonly mac: string;
  readonly triggers: readonly TriggerSpec[];
  /** JSON pointer of this gateway inside the file, for messages. */
  readonly path: string;
}

/** A whole desired-state file after parsing and local checks. */
export interface DesiredTriggers {
  readonly file: string;
  readonly gateways: readonly GatewayTriggers[];
}

/**
 * A trigger as the Trigger API returns it, kept loosely typed: EKM writes numbers as strings
 * ("60") and may add attributes; {@link canonicalTrigger} makes it comparable.
 */
export interface LiveTrigger {
  readonly trigger_uuid: string;
  readonly trigger_name: string;
  readonly enabled?: unknown;
  readonly conditions?: unknown;
  readonly actions?: unknown;
  readonly extras?: unknown;
  readonly created_at?: string;
  readonly updated_at?: string;
}

/** The body the Trigger API takes on create (and, with `trigger_uuid`, on modify). */
export interface TriggerBody {
  readonly trigger_name: string;
  readonly enabled: boolean;
  readonly conditions: readonly Record<string, unknown>[];
  readonly actions: readonly Record<string, unknown>[];
}

/**
 * The request body for a trigger, in the form EKM's own examples use (numbers of data
 * conditions as decimal strings; `tolerance` only when it differs from the default, as the
 * examples never send it).
 */
export function toTriggerBody(spec: TriggerSpec): TriggerBody {
  return {
    trigger_name: spec.name,
    enabled: spec.enabled,
    conditions: spec.conditions.map((c) =>
      c.type === 'rrule'
        ? { type: 'rrule', rrule: c.rrule }
        : {
            type: 'data',
            source: c.source,
            source_id: c.source_id,
            field: c.field,
            threshold_test: c.threshold_test,
            threshold_value: String(c.threshold_value),
            duration: String(c.duration),
            hysteresis: String(c.hysteresis),
            continuous: c.continuous,
            ...(c.tolerance !== TRIGGER_DEFAULTS.tolerance ? { tolerance: String(c.tolerance) } : {}),
          },
    ),
    actions: spec.actions.map((a) =>
      a.command === 'setRelay'
        ? { target: a.target, target_id: a.target_id, command: a.command, params: { ...a.params } }
        : { target: a.target, command: a.command },
    ),
  };
}

import { parseDecimal } from '../ekm/decimal';
import { type DesiredTriggers, type LiveTrigger, TRIGGER_DEFAULTS, type TriggerSpec } from './model';

/** One changed attribute, by path inside the trigger (`conditions[0].hysteresis`). */
export interface FieldChange {
  readonly path: string;
  /** `undefined` = absent on that side. */
  readonly before: unknown;
  readonly after: unknown;
}

/** Top-level trigger attributes that a plan may be told cannot be modified in place. */
export type TriggerAttribute = 'enabled' | 'conditions' | 'actions';

export type PlanChange =
  | { readonly action: 'create'; readonly name: string; readonly desired: TriggerSpec }
  | {
      readonly action: 'update';
      readonly name: string;
      readonly uuid: string;
      readonly changes: readonly FieldChange[];
      readonly desired: TriggerSpec;
    }
  | {
      readonly action: 'replace';
      readonly name: string;
      readonly uuid: string;
      readonly changes: readonly FieldChange[];
      /** Why an in-place update is not possible (shown in the plan). */
      readonly reason: string;
      readonly desired: TriggerSpec;
    }
  | { readonly action: 'delete'; readonly name: string; readonly uuid: string; readonly reason: string }
  | { readonly action: 'unchanged'; readonly name: string; readonly uuid: string }
  | { readonly action: 'unmanaged'; readonly name: string; readonly uuid: string; readonly reason: string };

export type PlanAction = PlanChange['action'];

export interface GatewayPlan {
  readonly mac: string;
  readonly changes: readonly PlanChange[];
}

export interface TriggerPlan {
  readonly file: string;
  readonly prune: boolean;
  readonly gateways: readonly GatewayPlan[];
  readonly summary: Readonly<Record<PlanAction, number>>;
  /** True when applying would send at least one write request. */
  readonly changesPending: boolean;
}

export interface PlanOptions {
  /** Delete live triggers of the file's gateways that the file does not name. */
  readonly prune?: boolean;
  /**
   * Attributes the Trigger API cannot modify in place; a change to one becomes delete + create.
   * EKM documents PUT as taking the trigger attributes (docs/ekm-push-apis.md §5.1), so by default
   * everything is in place.
   */
  readonly replaceOn?: readonly TriggerAttribute[];
}

/** Which plan actions send write requests. */
export const WRITE_ACTIONS: ReadonlySet<PlanAction> = new Set(['create', 'update', 'replace', 'delete']);

/**
 * Compare the desired triggers with the live ones and say what to do. Identity is the trigger
 * name within its gateway; EKM's decimal strings ("60") equal numbers (60) and absent optional
 * attributes equal their documented defaults. Only gateways named in the file are touched.
 *
 * @param actual live triggers per gateway mac (as `GET /api/trigger?gateway=` returns them).
 */
export function planTriggers(
  desired: DesiredTriggers,
  actual: ReadonlyMap<string, readonly LiveTrigger[]>,
  opts: PlanOptions = {},
): TriggerPlan {
  const prune = opts.prune ?? false;
  const replaceOn = new Set(opts.replaceOn ?? []);
  const gateways: GatewayPlan[] = desired.gateways.map((g) => {
    const live = [...(actual.get(g.mac) ?? [])].sort(
      (a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.trigger_uuid.localeCompare(b.trigger_uuid),
    );
    const byName = new Map<string, LiveTrigger[]>();
    for (const t of live) byName.set(t.trigger_name, [...(byName.get(t.trigger_name) ?? []), t]);
    const changes: PlanChange[] = [];
    const wanted = new Set(g.triggers.map((t) => t.name));
    for (const spec of g.triggers) {
      const match = byName.get(spec.name)?.[0];
      if (!match) {
        changes.push({ action: 'create', name: spec.name, desired: spec });
        continue;
      }
      const diff = diffTriggers(canonicalLive(match), canonicalSpec(spec));
      if (diff.length === 0) {
        changes.push({ action: 'unchanged', name: spec.name, uuid: match.trigger_uuid });
        continue;
      }
      const fixed = [...new Set(diff.map((d) => topAttribute(d.path)))].filter((a) => replaceOn.has(a));
      if (fixed.length > 0)
        changes.push({
          action: 'replace',
          name: spec.name,
          uuid: match.trigger_uuid,
          changes: diff,
          reason: `the Trigger API cannot modify ${fixed.join(', ')} in place, so the trigger is deleted and created again (new uuid)`,
          desired: spec,
        });
      else changes.push({ action: 'update', name: spec.name, uuid: match.trigger_uuid, changes: diff, desired: spec });
    }
    for (const t of live) {
      const isExtraCopy = wanted.has(t.trigger_name) && byName.get(t.trigger_name)?.[0] !== t;
      if (wanted.has(t.trigger_name) && !isExtraCopy) continue;
      const why = isExtraCopy
        ? `another live trigger named ${JSON.stringify(t.trigger_name)} exists on this gateway (the oldest one is managed)`
        : 'not in the file';
      if (prune)
        changes.push({ action: 'delete', name: t.trigger_name, uuid: t.trigger_uuid, reason: `${why} (--prune)` });
      else
        changes.push({
          action: 'unmanaged',
          name: t.trigger_name,
          uuid: t.trigger_uuid,
          reason: `${why}; left alone (use --prune to delete it)`,
        });
    }
    return { mac: g.mac, changes };
  });
  const summary: Record<PlanAction, number> = {
    create: 0,
    update: 0,
    replace: 0,
    delete: 0,
    unchanged: 0,
    unmanaged: 0,
  };
  for (const g of gateways) for (const c of g.changes) summary[c.action]++;
  const changesPending = summary.create + summary.update + summary.replace + summary.delete > 0;
  return { file: desired.file, prune, gateways, summary, changesPending };
}

function topAttribute(path: string): TriggerAttribute {
  return (path.split(/[.[]/)[0] ?? path) as TriggerAttribute;
}

/** A number when the value is a number or EKM decimal text (core/ekm/decimal.ts), else the value unchanged. */
function numeric(value: unknown, fallback?: number): unknown {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'number') return value;
  const n = typeof value === 'string' ? parseDecimal(value) : undefined;
  return n ?? value;
}

function bool(value: unknown, fallback: boolean): unknown {
  if (value === undefined || value === null) return fallback;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The comparable form: only managed attributes, numbers as numbers, defaults filled in. */
interface Canonical {
  readonly enabled: unknown;
  readonly conditions: unknown;
  readonly actions: unknown;
}

function canonicalCondition(c: unknown): unknown {
  if (!isRecord(c)) return c;
  if (c.type === 'rrule')
    return {
      type: 'rrule',
      rrule: String(c.rrule ?? '')
        .replace(/\r\n/g, '\n')
        .trim(),
    };
  if (c.type !== 'data') return c;
  return {
    type: 'data',
    source: c.source,
    source_id: c.source_id,
    field: c.field,
    threshold_test: c.threshold_test,
    threshold_value: numeric(c.threshold_value),
    duration: numeric(c.duration, TRIGGER_DEFAULTS.duration),
    hysteresis: numeric(c.hysteresis, TRIGGER_DEFAULTS.hysteresis),
    continuous: bool(c.continuous, TRIGGER_DEFAULTS.continuous),
    tolerance: numeric(c.tolerance, TRIGGER_DEFAULTS.tolerance),
  };
}

function canonicalAction(a: unknown): unknown {
  if (!isRecord(a)) return a;
  if (a.command === 'sendEmail') return { target: a.target, command: 'sendEmail' };
  if (a.command !== 'setRelay' || !isRecord(a.params)) return a;
  const duration = numeric(a.params.duration);
  return {
    target: a.target,
    target_id: a.target_id,
    command: 'setRelay',
    params: { relay: a.params.relay, status: a.params.status, ...(duration !== undefined ? { duration } : {}) },
  };
}

/** Canonical form of a live trigger. */
export function canonicalLive(t: LiveTrigger): Canonical {
  return {
    enabled: bool(t.enabled, TRIGGER_DEFAULTS.enabled),
    conditions: Array.isArray(t.conditions) ? t.conditions.map(canonicalCondition) : t.conditions,
    actions: Array.isArray(t.actions) ? t.actions.map(canonicalAction) : t.actions,
  };
}

/** Canonical form of a desired trigger. */
export function canonicalSpec(spec: TriggerSpec): Canonical {
  return {
    enabled: spec.enabled,
    conditions: spec.conditions.map(canonicalCondition),
    actions: spec.actions.map(canonicalAction),
  };
}

function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, []);
    for (const [i, v] of value.entries()) flatten(v, `${path}[${i}]`, out);
  } else if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) out.set(path, {});
    for (const k of keys.sort()) flatten(value[k], path ? `${path}.${k}` : k, out);
  } else out.set(path, value);
}

/** Field-level differences between two canonical triggers, in a stable order. */
export function diffTriggers(before: Canonical, after: Canonical): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  const order = (p: string) => [...b.keys()].indexOf(p);
  paths.sort((x, y) => {
    const ox = order(x);
    const oy = order(y);
    if (ox >= 0 && oy >= 0) return ox - oy;
    if (ox < 0 && oy < 0) return x.localeCompare(y);
    return ox < 0 ? 1 : -1;
  });
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((p) => ({ path: p, before: a.get(p), after: b.get(p) }));
}

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../functions/ports/clock';

/** A trigger as the local EKM cloud keeps it: the API's own attributes plus its gateway. */
export interface StoredTrigger {
  readonly trigger_uuid: string;
  readonly gateway: string;
  readonly trigger_name: string;
  readonly conditions: unknown[];
  readonly actions: unknown[];
  readonly extras: Record<string, unknown>;
  readonly enabled: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Attributes a client may set on create or modify. */
export interface TriggerAttributes {
  readonly trigger_name?: string;
  readonly conditions?: unknown[];
  readonly actions?: unknown[];
  readonly enabled?: boolean;
  readonly extras?: Record<string, unknown>;
}

/** EKM's timestamp form: ISO 8601 with microseconds and an explicit offset (seed: `...824621+00:00`). */
export function ekmTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** 32 lower-case hex digits without dashes, like EKM's trigger uuids. */
export function newTriggerUuid(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * In-memory trigger storage of the local EKM cloud, kept per gateway in insertion order.
 * Counts writes so tests and the benchmark can assert "no request for unchanged triggers".
 */
export class FakeTriggerStore {
  private readonly byUuid = new Map<string, StoredTrigger>();
  /** Successful creates, modifies and deletes since start. */
  readonly writes = { create: 0, modify: 0, delete: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly newUuid: () => string = newTriggerUuid,
  ) {}

  list(gateway: string): StoredTrigger[] {
    return [...this.byUuid.values()].filter((t) => t.gateway === gateway);
  }

  all(): StoredTrigger[] {
    return [...this.byUuid.values()];
  }

  get(uuid: string): StoredTrigger | undefined {
    return this.byUuid.get(uuid);
  }

  create(gateway: string, attrs: TriggerAttributes & { trigger_name: string }): StoredTrigger {
    let uuid = this.newUuid();
    while (this.byUuid.has(uuid)) uuid = this.newUuid();
    const now = ekmTimestamp(this.clock.now());
    const stored: StoredTrigger = {
      trigger_uuid: uuid,
      gateway,
      trigger_name: attrs.trigger_name,
      conditions: attrs.conditions ?? [],
      actions: attrs.actions ?? [],
      extras: attrs.extras ?? {},
      enabled: attrs.enabled ?? true,
      created_at: now,
      updated_at: now,
    };
    this.byUuid.set(uuid, stored);
    this.writes.create++;
    return stored;
  }

  modify(uuid: string, attrs: TriggerAttributes): StoredTrigger | undefined {
    const current = this.byUuid.get(uuid);
    if (!current) return undefined;
    const defined = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined));
    const next: StoredTrigger = { ...current, ...defined, updated_at: ekmTimestamp(this.clock.now()) };
    this.byUuid.set(uuid, next);
    this.writes.modify++;
    return next;
  }

  delete(uuid: string): boolean {
    const ok = this.byUuid.delete(uuid);
    if (ok) this.writes.delete++;
    return ok;
  }
}

import type { PlanAction } from '../core/triggers/plan';

/** One gateway's drift as one check found it. Holds names and uuids only, never a key or token. */
export interface DriftRecord {
  readonly gateway: string;
  /** UTC epoch ms of the check. */
  readonly checkedAtMs: number;
  /** The desired file the live triggers were compared with (e.g. `s3://bucket/config/triggers.yaml`). */
  readonly file: string;
  readonly keyAlias: string;
  /** Write changes pending before any auto-apply (create + update + replace + delete). */
  readonly drift: number;
  /** Write changes still pending after this check (0 when auto-apply fixed everything). */
  readonly remaining: number;
  readonly autoApplied: boolean;
  readonly summary: Readonly<Record<PlanAction, number>>;
  /** The drifted triggers: what the plan would do, and which attributes differ. */
  readonly changes: readonly { action: PlanAction; name: string; uuid?: string; paths?: string[]; error?: string }[];
}

/** Where drift checks are recorded (the shared DynamoDB state table in AWS and locally). */
export interface TriggerDriftStore {
  /** Record each gateway's latest check (replacing the previous one) and keep a dated history entry. */
  record(records: readonly DriftRecord[]): Promise<void>;
  /** The latest check of a gateway, if any. */
  latest(gateway: string): Promise<DriftRecord | undefined>;
}

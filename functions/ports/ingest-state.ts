import type { MeterId } from '../core/readings/meter-id';

/**
 * Ingest bookkeeping that must be exact: per-meter cursors, runs, gaps and a per-(job, origin)
 * lease lock. DynamoDB in AWS and locally (`adapters/dynamo-ingest-state.ts`), memory in unit tests.
 */
export type CursorDataset = 'realtime' | 'summary';

/** The pseudo meter under which a per-alias cursor (summary ingest) is kept. */
export const ALIAS_CURSOR = 'ALL';

export interface RunRecord {
  readonly runId: string;
  readonly job: 'ingest-realtime' | 'ingest-summary' | 'compact';
  readonly alias: string;
  readonly startedAtMs: number;
  readonly finishedAtMs?: number;
  readonly status: 'running' | 'ok' | 'failed';
  /** Small JSON-safe counts (meters, reads, objects, gaps, error message). Never a secret. */
  readonly summary?: Readonly<Record<string, number | string>>;
}

export interface GapRecord {
  readonly alias: string;
  readonly meter: MeterId;
  /** The cursor (newest read held) when the gap was found, UTC ms. */
  readonly fromMs: number;
  /** The oldest read the Realtime API still held, UTC ms. */
  readonly toMs: number;
  /** 15-minute summary buckets written as `source = summary` readings for the gap. */
  readonly filledBuckets: number;
  readonly runId: string;
}

/** A lease lock as stored: who holds it (a run id) and until when. */
export interface LeaseInfo {
  readonly name: string;
  readonly owner: string;
  /** UTC ms; the lease is free once this has passed. */
  readonly leaseUntilMs: number;
}

export interface IngestState {
  /** Cursor (newest read time durably in the lake, UTC ms) per meter; meters never ingested are absent. */
  getCursors(dataset: CursorDataset, alias: string, meters: readonly MeterId[]): Promise<Map<MeterId, number>>;
  /**
   * Move cursors forward. Conditional per meter: a cursor never moves backwards, so a late or
   * concurrent writer cannot undo progress. Call only after the lake objects are durably written.
   */
  advanceCursors(
    dataset: CursorDataset,
    alias: string,
    cursors: ReadonlyMap<MeterId, number>,
    runId: string,
  ): Promise<void>;
  putRun(run: RunRecord): Promise<void>;
  /**
   * Mark a run that is still `running` as failed (its holder died: its lease lapsed or an operator
   * released it). Conditional: a run that finished meanwhile is left alone. True when marked.
   */
  failStaleRun(run: RunRecord, reason: string, nowMs: number): Promise<boolean>;
  listRuns(alias: string, limit?: number): Promise<RunRecord[]>;
  recordGap(gap: GapRecord): Promise<void>;
  listGaps(alias: string): Promise<GapRecord[]>;
  /**
   * Take a lease lock; false when someone else holds an unexpired lease. The holder renews it by
   * calling this again with the same owner before it runs out.
   */
  acquireLock(name: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** The lease as stored (expired or not), or undefined when none is. */
  getLock(name: string): Promise<LeaseInfo | undefined>;
  releaseLock(name: string, owner: string): Promise<void>;
}

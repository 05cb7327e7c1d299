/**
 * Operator release of a key alias's run leases (`ekm-pipeline unlock`).
 *
 * Input: the alias, and `force` to release a lease that has not expired yet. Output: each lease
 * (held or not, by which run, until when, released or kept) and the runs marked failed.
 *
 * 1. Read the realtime and summary ingest leases of the alias (compaction takes the realtime one).
 * 2. Release each expired lease; an unexpired one only with `force` (its run may be alive: it is
 *    renewed while the run works, and a live run that loses it stops before its next write).
 * 3. For each job whose lease is now free, mark the alias's runs still `running` as failed.
 */
import { type LeaseName, leaseName, realtimeLeases } from '../core/leases';
import type { Clock } from '../ports/clock';
import type { IngestState, RunRecord } from '../ports/ingest-state';
import { failStaleRuns } from './run-lease';

export interface UnlockInput {
  readonly alias: string;
  readonly force?: boolean;
  /** The key's `realtimeShards`: its parts' leases are released too. @default 1 */
  readonly realtimeShards?: number;
}

export interface UnlockedLease {
  readonly name: string;
  readonly job: RunRecord['job'];
  /** Run id that held it; absent when no lease was stored. */
  readonly owner?: string;
  readonly leaseUntilMs?: number;
  readonly expired?: boolean;
  readonly released: boolean;
}

export interface UnlockResult {
  readonly alias: string;
  readonly leases: readonly UnlockedLease[];
  /** Runs that were still `running` without a lease, now `failed`. */
  readonly runsFailed: readonly {
    readonly runId: string;
    readonly job: RunRecord['job'];
    readonly startedAtMs: number;
  }[];
  /** Unexpired leases left in place (pass `force` to release them). */
  readonly kept: readonly string[];
}

/** The run leases of a key alias, by job (each part's too when its realtime ingest is split into `realtimeShards`). */
export function runLeasesOf(alias: string, realtimeShards = 1): { name: LeaseName; job: RunRecord['job'] }[] {
  return [
    ...realtimeLeases(alias, realtimeShards).map((name) => ({ name, job: 'ingest-realtime' as const })),
    { name: leaseName('ingest-summary', alias), job: 'ingest-summary' },
  ];
}

export function makeUnlockRuns(deps: { readonly state: IngestState; readonly clock: Clock }) {
  return async function unlockRuns(input: UnlockInput): Promise<UnlockResult> {
    const now = deps.clock.now();
    const leases: UnlockedLease[] = [];
    const runsFailed: UnlockResult['runsFailed'][number][] = [];
    const kept: string[] = [];
    for (const { name, job } of runLeasesOf(input.alias, input.realtimeShards)) {
      const info = await deps.state.getLock(name);
      let free = true;
      if (!info) leases.push({ name, job, released: false });
      else {
        const expired = info.leaseUntilMs < now;
        if (expired || input.force) await deps.state.releaseLock(name, info.owner);
        else {
          free = false;
          kept.push(name);
        }
        leases.push({
          name,
          job,
          owner: info.owner,
          leaseUntilMs: info.leaseUntilMs,
          expired,
          released: expired || input.force === true,
        });
      }
      if (!free) continue;
      const marked = await failStaleRuns(
        deps.state,
        { job, alias: input.alias },
        'ekm-pipeline unlock',
        now,
        'abandoned: its lease was released with ekm-pipeline unlock (the run had stopped)',
      );
      for (const r of marked) runsFailed.push({ runId: r.runId, job: r.job, startedAtMs: r.startedAtMs });
    }
    return { alias: input.alias, leases, runsFailed, kept };
  };
}

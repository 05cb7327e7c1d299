/**
 * The lease of an ingest or compaction run (`LOCK#…` in the state table), kept short and renewed
 * while the run works, so that a run that dies (kill -9, Lambda timeout, power loss) blocks the
 * next one for at most one lease length instead of a fixed quarter of an hour.
 *
 * 1. Take the lease (conditional put; busy → `INGEST_LOCKED` naming the holder, when its lease
 *    ends, and `ekm-pipeline unlock`).
 * 2. Mark the runs of the same job and alias that are still `running` as failed: the lease is
 *    exclusive, so a `running` run that does not hold it has died.
 * 3. Renew every `renewEveryMs` (default a third of the lease) until released. A renewal that
 *    finds another owner, or a lease that ran out between renewals, makes `assertHeld` throw
 *    `LEASE_LOST`, so the run stops before it writes more.
 */
import { EkmPipelineError, logBestEffortFailure } from '../core/errors';
import type { Clock } from '../ports/clock';
import type { IngestState, LeaseInfo, RunRecord } from '../ports/ingest-state';

/** Lease length of a run; renewed every third of it while the run works. */
export const RUN_LEASE_TTL_MS = 60_000;

export interface RunLease {
  /** Throws `LEASE_LOST` once the lease was taken over or lapsed; call before each write. */
  assertHeld(): void;
  /** Stop renewing and release the lease (never throws). */
  release(): Promise<void>;
}

export interface TakeRunLeaseOptions {
  readonly state: IngestState;
  readonly clock: Clock;
  /** Lock name, e.g. `ingest-realtime#demo`. */
  readonly name: string;
  /** The run id. */
  readonly owner: string;
  readonly ttlMs: number;
  /** @default ttlMs / 3 */
  readonly renewEveryMs?: number;
  /** What is locked, for the busy message, e.g. `another realtime ingest or compaction of "demo"`. */
  readonly what: string;
  /** Key alias whose `ekm-pipeline unlock` releases it (named in the busy message); absent for other leases. */
  readonly alias?: string;
  /**
   * Mark dead runs of this job and alias (and part of a split key: runs whose summary names the same
   * `part`; without one, runs that name none) as failed once the lease is taken.
   */
  readonly staleRuns?: { readonly job: RunRecord['job']; readonly alias: string; readonly part?: string };
}

/** Take a run's lease (or throw `INGEST_LOCKED`) and keep renewing it until released. */
export async function takeRunLease(opts: TakeRunLeaseOptions): Promise<RunLease> {
  const { state, clock, name, owner, ttlMs } = opts;
  const startedAt = clock.now();
  if (!(await state.acquireLock(name, owner, ttlMs, startedAt))) {
    const holder = await state
      .getLock(name)
      .catch((error: unknown) => logBestEffortFailure(`read the holder of lease ${name}`, error));
    throw new EkmPipelineError('INGEST_LOCKED', busyMessage(opts, holder, startedAt));
  }
  let heldUntil = startedAt + ttlMs;
  let lost: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;
  let stopped = false;
  const renew = async () => {
    const now = clock.now();
    if (now > heldUntil) lost ??= `its lease ran out at ${new Date(heldUntil).toISOString()} before it was renewed`;
    try {
      if (await state.acquireLock(name, owner, ttlMs, now)) {
        if (!lost) heldUntil = now + ttlMs;
      } else lost ??= 'another run took its lease over';
    } catch {
      // A failed renewal is retried at the next tick; assertHeld judges by heldUntil meanwhile.
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        renewing = renew().finally(schedule);
      },
      opts.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3)),
    );
    timer.unref();
  };
  schedule();
  if (opts.staleRuns)
    await failStaleRuns(state, opts.staleRuns, owner, clock.now()).catch((error: unknown) =>
      logBestEffortFailure(`mark stale ${opts.staleRuns?.job} runs of ${opts.staleRuns?.alias} failed`, error),
    );
  return {
    assertHeld() {
      if (!lost && clock.now() > heldUntil)
        lost = `its lease ran out at ${new Date(heldUntil).toISOString()} before it was renewed`;
      if (lost)
        throw new EkmPipelineError(
          'LEASE_LOST',
          `run ${owner} stopped: ${lost} (${opts.what}); nothing more was written, re-run it (re-runs are safe)`,
        );
    },
    async release() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await renewing?.catch((error: unknown) => logBestEffortFailure(`renew lease ${name}`, error));
      await state
        .releaseLock(name, owner)
        .catch((error: unknown) => logBestEffortFailure(`release lease ${name}`, error));
    },
  };
}

function busyMessage(opts: TakeRunLeaseOptions, holder: LeaseInfo | undefined, nowMs: number): string {
  const who = holder
    ? ` (run ${holder.owner}, lease until ${new Date(holder.leaseUntilMs).toISOString()}, ${Math.max(0, Math.ceil((holder.leaseUntilMs - nowMs) / 1000))} s from now)`
    : '';
  return (
    `${opts.what} holds the lease${who}; it is renewed while that run works. Retry after it finishes; ` +
    `if that run died, its lease expires within ${Math.ceil(opts.ttlMs / 1000)} s` +
    (opts.alias ? `, or release it now with: ekm-pipeline unlock --key-alias ${opts.alias}` : '')
  );
}

/** Mark every other `running` run of the job, alias (and part) as failed (call only while holding its lease). */
export async function failStaleRuns(
  state: IngestState,
  which: { readonly job: RunRecord['job']; readonly alias: string; readonly part?: string },
  holder: string,
  nowMs: number,
  reason = `abandoned: its lease lapsed without renewal (the process stopped); found by run ${holder}`,
): Promise<RunRecord[]> {
  const runs = await state.listRuns(which.alias, 50);
  // A part's lease covers only that part's runs: parts of one key run at once.
  const stale = runs.filter(
    (r) => r.status === 'running' && r.job === which.job && r.runId !== holder && r.summary?.part === which.part,
  );
  const marked: RunRecord[] = [];
  for (const run of stale) if (await state.failStaleRun(run, reason, nowMs)) marked.push(run);
  return marked;
}

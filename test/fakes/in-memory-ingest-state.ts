import type { CursorDataset, GapRecord, IngestState, LeaseInfo, RunRecord } from '../../functions/ports/ingest-state';

/** How the DynamoDB adapter keys a run (its sort key): start time, then run id. */
const runKey = (r: RunRecord) => `${r.alias}#${new Date(r.startedAtMs).toISOString()}#${r.runId}`;
const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * IngestState in memory with the same rules as the DynamoDB adapter (test/adapters/ingest-state-contract.test.ts):
 * forward-only cursors, runs keyed by (alias, start, id) and listed newest first, one gap per
 * (alias, meter, start), leases free only once strictly past their end.
 */
export class InMemoryIngestState implements IngestState {
  readonly cursors = new Map<string, number>();
  /** Runs in the order they were first put. */
  readonly runs: RunRecord[] = [];
  readonly gaps: GapRecord[] = [];
  readonly locks = new Map<string, { owner: string; until: number }>();

  async getCursors(dataset: CursorDataset, alias: string, meters: readonly string[]) {
    const out = new Map<string, number>();
    for (const m of meters) {
      const v = this.cursors.get(`${dataset}#${alias}#${m}`);
      if (v !== undefined) out.set(m, v);
    }
    return out;
  }
  async advanceCursors(dataset: CursorDataset, alias: string, cursors: ReadonlyMap<string, number>, _runId: string) {
    for (const [m, t] of cursors) {
      const k = `${dataset}#${alias}#${m}`;
      if ((this.cursors.get(k) ?? Number.NEGATIVE_INFINITY) < t) this.cursors.set(k, t);
    }
  }
  async putRun(run: RunRecord) {
    const i = this.runs.findIndex((r) => runKey(r) === runKey(run));
    if (i >= 0) this.runs[i] = run;
    else this.runs.push(run);
  }
  async failStaleRun(run: RunRecord, reason: string, nowMs: number) {
    const i = this.runs.findIndex((r) => runKey(r) === runKey(run));
    const stored = this.runs[i];
    if (stored?.status !== 'running') return false;
    // As the adapter: the summary written is the caller's run summary plus the (truncated) reason.
    this.runs[i] = {
      ...stored,
      status: 'failed',
      finishedAtMs: nowMs,
      summary: { ...(run.summary ?? {}), error: reason.slice(0, 500) },
    };
    return true;
  }
  async listRuns(alias: string, limit = 20) {
    return this.runs
      .filter((r) => r.alias === alias)
      .sort(byKey(runKey))
      .reverse()
      .slice(0, limit)
      .map((r) => ({ ...r, summary: { ...(r.summary ?? {}) } }));
  }
  async recordGap(gap: GapRecord) {
    const key = (g: GapRecord) => `${g.alias}#${g.meter}#${g.fromMs}`;
    const i = this.gaps.findIndex((g) => key(g) === key(gap));
    if (i >= 0) this.gaps[i] = gap;
    else this.gaps.push(gap);
  }
  async listGaps(alias: string) {
    return this.gaps.filter((g) => g.alias === alias).sort(byKey((g) => `${g.meter}#${g.fromMs}`));
  }
  async acquireLock(name: string, owner: string, ttlMs: number, nowMs: number) {
    const held = this.locks.get(name);
    if (held && held.until >= nowMs && held.owner !== owner) return false;
    this.locks.set(name, { owner, until: nowMs + ttlMs });
    return true;
  }
  async getLock(name: string): Promise<LeaseInfo | undefined> {
    const held = this.locks.get(name);
    return held ? { name, owner: held.owner, leaseUntilMs: held.until } : undefined;
  }
  async releaseLock(name: string, owner: string) {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }
}

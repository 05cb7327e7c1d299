import type { CursorDataset, GapRecord, IngestState, LeaseInfo, RunRecord } from '../../functions/ports/ingest-state';

/** IngestState in memory with the same forward-only and lease semantics as the DynamoDB adapter. */
export class InMemoryIngestState implements IngestState {
  readonly cursors = new Map<string, number>();
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
    const i = this.runs.findIndex((r) => r.runId === run.runId);
    if (i >= 0) this.runs[i] = run;
    else this.runs.push(run);
  }
  async failStaleRun(run: RunRecord, reason: string, nowMs: number) {
    const i = this.runs.findIndex((r) => r.runId === run.runId);
    const stored = this.runs[i];
    if (stored?.status !== 'running') return false;
    this.runs[i] = {
      ...stored,
      status: 'failed',
      finishedAtMs: nowMs,
      summary: { ...(stored.summary ?? {}), error: reason },
    };
    return true;
  }
  async listRuns(alias: string) {
    return this.runs.filter((r) => r.alias === alias).reverse();
  }
  async recordGap(gap: GapRecord) {
    this.gaps.push(gap);
  }
  async listGaps(alias: string) {
    return this.gaps.filter((g) => g.alias === alias);
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

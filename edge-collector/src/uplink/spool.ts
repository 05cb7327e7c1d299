/**
 * The store-and-forward spool: a SQLite file (better-sqlite3, WAL, synchronous=FULL) that every
 * reading is appended to before anything else happens. A reading leaves the spool only when the
 * pipeline has acknowledged the batch that carries it.
 *
 * Crash safety: `append` commits (fsync'd) before returning. A batch is formed in one transaction
 * and keeps its id and its readings until acknowledged, so after a crash the same batch is re-sent
 * with the same idempotency key; the pipeline dedupes it. `kill -9` at any moment loses nothing
 * that `append` returned for, and never turns one reading into two.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { EdgeReading } from '../codec/reading';

export interface SpoolBatch {
  /**
   * The idempotency key: `<gateway>-<spool id>-<first seq>-<last seq>`, stable across restarts. The
   * random spool id (made once per spool file) keeps a re-created spool from reusing old ids.
   */
  readonly batchId: string;
  readonly readings: readonly EdgeReading[];
  readonly attempts: number;
}

/** A batch the pipeline refused, kept in the `rejected` table. */
export interface RefusedBatch {
  readonly batchId: string;
  readonly rejectedMs: number;
  readonly reason: string;
  readonly readings: number;
}

export interface SpoolStats {
  readonly pending: number;
  readonly inFlight: number;
  readonly rejected: number;
}

/** Exponential backoff after failed uploads: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function backoffMs(attempts: number, baseMs = 1000, capMs = 300_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

export class Spool {
  private readonly db: Database.Database;
  /** Random id of this spool file, part of every batch id. */
  readonly spoolId: string;

  constructor(
    readonly path: string,
    private readonly gateway: string,
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS readings (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        meter TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        body TEXT NOT NULL,
        batch_id TEXT,
        UNIQUE (meter, time_ms)
      );
      CREATE INDEX IF NOT EXISTS readings_batch ON readings (batch_id);
      CREATE TABLE IF NOT EXISTS batches (
        batch_id TEXT PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS rejected (
        batch_id TEXT NOT NULL,
        rejected_ms INTEGER NOT NULL,
        reason TEXT NOT NULL,
        body TEXT NOT NULL
      );
    `);
    this.db
      .prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('spool_id', ?)")
      .run(randomBytes(4).toString('hex'));
    this.spoolId = (this.db.prepare("SELECT value FROM meta WHERE key = 'spool_id'").get() as { value: string }).value;
  }

  /** Durably append one reading; a second append of the same (meter, timeMs) is a no-op. Returns true if new. */
  append(reading: EdgeReading): boolean {
    const info = this.db
      .prepare('INSERT OR IGNORE INTO readings (meter, time_ms, body) VALUES (?, ?, ?)')
      .run(reading.meter, reading.timeMs, JSON.stringify(reading));
    return info.changes === 1;
  }

  /**
   * The batch to send now: the oldest open batch (re-sent unchanged) if its backoff has passed, or
   * a new one of up to `max` unbatched readings, all of one UTC date (cut at UTC midnight: the
   * endpoint stores a batch as one object of one date and refuses a batch spanning two).
   * Undefined when there is nothing due.
   */
  nextBatch(max: number, nowMs: number): SpoolBatch | undefined {
    return this.db.transaction((): SpoolBatch | undefined => {
      const open = this.db
        .prepare('SELECT batch_id, attempts, next_attempt_ms FROM batches ORDER BY created_ms, batch_id LIMIT 1')
        .get() as { batch_id: string; attempts: number; next_attempt_ms: number } | undefined;
      if (open) {
        if (open.next_attempt_ms > nowMs) return undefined;
        return { batchId: open.batch_id, readings: this.readingsOf(open.batch_id), attempts: open.attempts };
      }
      const unbatched = this.db
        .prepare('SELECT seq, time_ms FROM readings WHERE batch_id IS NULL ORDER BY seq LIMIT ?')
        .all(max) as { seq: number; time_ms: number }[];
      const utcDay = (ms: number) => Math.floor(ms / 86_400_000);
      const cut = unbatched.findIndex((r) => utcDay(r.time_ms) !== utcDay(unbatched[0]!.time_ms));
      const rows = cut < 0 ? unbatched : unbatched.slice(0, cut);
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return undefined;
      const batchId = `${this.gateway}-${this.spoolId}-${String(first.seq).padStart(12, '0')}-${String(last.seq).padStart(12, '0')}`;
      this.db.prepare('INSERT INTO batches (batch_id, created_ms) VALUES (?, ?)').run(batchId, nowMs);
      this.db
        .prepare('UPDATE readings SET batch_id = ? WHERE batch_id IS NULL AND seq BETWEEN ? AND ?')
        .run(batchId, first.seq, last.seq);
      return { batchId, readings: this.readingsOf(batchId), attempts: 0 };
    })();
  }

  private readingsOf(batchId: string): EdgeReading[] {
    const rows = this.db.prepare('SELECT body FROM readings WHERE batch_id = ? ORDER BY seq').all(batchId) as {
      body: string;
    }[];
    return rows.map((r) => JSON.parse(r.body) as EdgeReading);
  }

  /** The pipeline acknowledged the batch: only now are its readings deleted. */
  ack(batchId: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM readings WHERE batch_id = ?').run(batchId);
      this.db.prepare('DELETE FROM batches WHERE batch_id = ?').run(batchId);
    })();
  }

  /** A failed attempt (network, 5xx, 429): keep the batch and back off. */
  fail(batchId: string, nowMs: number, error: string): number {
    const row = this.db.prepare('SELECT attempts FROM batches WHERE batch_id = ?').get(batchId) as
      | { attempts: number }
      | undefined;
    const attempts = (row?.attempts ?? 0) + 1;
    const wait = backoffMs(attempts);
    this.db
      .prepare('UPDATE batches SET attempts = ?, next_attempt_ms = ?, last_error = ? WHERE batch_id = ?')
      .run(attempts, nowMs + wait, error.slice(0, 500), batchId);
    return wait;
  }

  /**
   * The pipeline refused the batch (4xx validation): move it to `rejected` so it stops blocking
   * the queue, but keep every byte for an operator to inspect and `requeue`.
   */
  reject(batchId: string, nowMs: number, reason: string): void {
    this.db.transaction(() => {
      const body = JSON.stringify(this.readingsOf(batchId));
      this.db
        .prepare('INSERT INTO rejected (batch_id, rejected_ms, reason, body) VALUES (?, ?, ?, ?)')
        .run(batchId, nowMs, reason.slice(0, 2000), body);
      this.db.prepare('DELETE FROM readings WHERE batch_id = ?').run(batchId);
      this.db.prepare('DELETE FROM batches WHERE batch_id = ?').run(batchId);
    })();
  }

  /** The refused batches, oldest first. */
  refused(): RefusedBatch[] {
    const rows = this.db
      .prepare('SELECT batch_id, rejected_ms, reason, body FROM rejected ORDER BY rejected_ms, rowid')
      .all() as { batch_id: string; rejected_ms: number; reason: string; body: string }[];
    return rows.map((r) => ({
      batchId: r.batch_id,
      rejectedMs: r.rejected_ms,
      reason: r.reason,
      readings: (JSON.parse(r.body) as unknown[]).length,
    }));
  }

  /**
   * Move refused batches (all, or those with the given ids) back to the queue: their readings are
   * appended again, unbatched, so they leave in new batches under new ids (the pipeline stored
   * nothing of a refused batch). A reading already back in the spool is not duplicated.
   * Returns what was moved.
   */
  requeue(batchIds: readonly string[] | 'all'): RefusedBatch[] {
    return this.db.transaction((): RefusedBatch[] => {
      const rows = this.db
        .prepare('SELECT rowid, batch_id, rejected_ms, reason, body FROM rejected ORDER BY rejected_ms, rowid')
        .all() as { rowid: number; batch_id: string; rejected_ms: number; reason: string; body: string }[];
      const wanted = batchIds === 'all' ? undefined : new Set(batchIds);
      const moved: RefusedBatch[] = [];
      const insert = this.db.prepare('INSERT OR IGNORE INTO readings (meter, time_ms, body) VALUES (?, ?, ?)');
      const remove = this.db.prepare('DELETE FROM rejected WHERE rowid = ?');
      for (const row of rows) {
        if (wanted && !wanted.has(row.batch_id)) continue;
        const readings = JSON.parse(row.body) as EdgeReading[];
        for (const r of readings) insert.run(r.meter, r.timeMs, JSON.stringify(r));
        remove.run(row.rowid);
        moved.push({
          batchId: row.batch_id,
          rejectedMs: row.rejected_ms,
          reason: row.reason,
          readings: readings.length,
        });
      }
      return moved;
    })();
  }

  stats(): SpoolStats {
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      pending: count('SELECT COUNT(*) AS n FROM readings'),
      inFlight: count('SELECT COUNT(*) AS n FROM batches'),
      rejected: count('SELECT COUNT(*) AS n FROM rejected'),
    };
  }

  close(): void {
    this.db.close();
  }
}

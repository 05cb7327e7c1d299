import type { ColumnBatchBuilder } from '../parquet/column-batch';
import type { Rejected } from '../parquet/rows';
import type { MeterId } from '../readings/meter-id';
import type { Reading } from '../readings/reading';
import type { RealtimeRejection } from './realtime';
import { HeldReads, holdColumns, possiblyCutMeters } from './realtime-plan';

/**
 * What one chunk's Realtime answers amount to, before anything is written (use-cases/ingest-realtime.ts
 * fetches, this decides): what each meter's ring held, the counts, which refused reads are new to
 * the quarantine, and which meters' answers may have been cut (they wait for the deep pass).
 */
export interface ChunkAnswers {
  /** Cursors of the chunk's meters before the run. */
  readonly cursors: ReadonlyMap<MeterId, number>;
  /** Row path: the parsed reads (empty on the columnar path). */
  readonly reads: readonly Reading[];
  /** Columnar path: the builder the answers were parsed into. */
  readonly builder?: ColumnBatchBuilder;
  /** Reads the parser refused. */
  readonly refused: readonly RealtimeRejection[];
  /** Columnar path: reads the lake columns refused (quarantined by the writer). */
  readonly lakeRefused: readonly Rejected[];
  /** The key alias the reads came through (`via` of quarantined reads). */
  readonly alias: string;
  /** Reads asked per meter; with `checkCut`, a meter that came back with half of them or more is cut. */
  readonly cnt: number;
  readonly checkCut: boolean;
}

export interface ChunkTally {
  /** Per meter: reads held (refused ones included, they count towards a full ring). */
  readonly held: HeldReads;
  /** Reads and failed reads, cut meters left out (they are counted in the deep pass). */
  readonly readCount: number;
  readonly failedCount: number;
  /** Meters whose answer may have been cut: not healed, cursors kept, asked again for their ring. */
  readonly cut: ReadonlySet<MeterId>;
  /** Refused reads newer than their meter's cursor, for the quarantine (cut meters left out). */
  readonly fresh: Rejected[];
  /** Row path: the reads to write (cut meters left out, so their bad reads are quarantined once). */
  readonly reads: readonly Reading[];
  /** Columnar path: the lake's refusals to quarantine (cut meters left out). */
  readonly lakeRefused: Rejected[];
}

export function tallyChunk(a: ChunkAnswers): ChunkTally {
  const held = new HeldReads();
  let readCount = a.reads.length;
  let failedCount = 0;
  if (a.builder) {
    const counted = holdColumns(a.builder, held);
    // Reads the lake refused are reads too (quarantined by the writer, as on the row path).
    for (const r of a.lakeRefused) if (r.meter && r.timeMs !== undefined) held.add(r.meter as MeterId, r.timeMs);
    readCount = counted.reads + a.lakeRefused.length;
    failedCount = counted.failed;
  } else {
    for (const r of a.reads) {
      held.add(r.meter, r.timeMs, !r.good);
      if (!r.good) failedCount++;
    }
  }
  for (const r of a.refused) if (r.timeMs !== undefined) held.add(r.meter, r.timeMs);
  const cut = a.checkCut ? possiblyCutMeters(held.byMeter, a.cnt) : new Set<MeterId>();
  for (const m of cut) {
    const h = held.byMeter.get(m);
    readCount -= h?.count ?? 0;
    failedCount -= h?.failed ?? 0;
  }
  // A refused read at or before its meter's cursor was quarantined by the run that moved the
  // cursor past it (the overlap re-asks it): skip it so a re-run adds nothing.
  const fresh: Rejected[] = [];
  for (const r of a.refused) {
    if (cut.has(r.meter)) {
      // Its held count (subtracted above) had this read, readCount never did.
      if (r.timeMs !== undefined) readCount++;
      continue;
    }
    if (r.timeMs !== undefined && r.timeMs <= (a.cursors.get(r.meter) ?? Number.NEGATIVE_INFINITY)) continue;
    fresh.push({
      reason: r.reason,
      meter: r.meter,
      ...(r.timeMs !== undefined ? { timeMs: r.timeMs } : {}),
      source: 'realtime',
      via: a.alias,
      raw: JSON.stringify(r.raw),
    });
  }
  return {
    held,
    readCount,
    failedCount,
    cut,
    fresh,
    reads: cut.size > 0 && !a.builder ? a.reads.filter((r) => !cut.has(r.meter)) : a.reads,
    lakeRefused: cut.size > 0 ? a.lakeRefused.filter((r) => !cut.has(r.meter as MeterId)) : [...a.lakeRefused],
  };
}

import type { ProjectConfig } from '../config/project-config';
import type { IngestUnit } from '../core/ekm/ingest-units';
import {
  type BatchResponse,
  makeEnqueueIngestUnits,
  makeIngestUnitWorker,
  type QueueRecord,
} from '../use-cases/fan-out-ingest';
import { openLakeJobs } from './lake';

export type { BatchResponse, IngestUnit, QueueRecord };

/** The worker over one unit runner (handlers/ingest-realtime-worker.ts; tests pass a fake runner). */
export function ingestUnitWorker(run: (unit: IngestUnit) => Promise<unknown>) {
  return makeIngestUnitWorker({ run });
}

/** One key alias's realtime ingest, as the fan-out worker runs it (the same use-case as the CLI). */
export function openIngestUnitRunner(config: ProjectConfig, options: { readonly memoryMb?: number } = {}) {
  const { lake, forEachKey } = openLakeJobs(config, undefined, options);
  return (unit: IngestUnit) =>
    forEachKey('ingest-realtime', unit.keyAlias, async (key) => {
      const r = await lake.ingestRealtime({ key });
      return { alias: key.alias, meters: r.meters, reads: r.reads, objects: r.objects, gaps: r.gaps.length };
    });
}

export { makeEnqueueIngestUnits };

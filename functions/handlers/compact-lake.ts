import { type LakeWiring, openLake } from '../composition/lake';
import { loadLakeConfig } from '../config/lake-config';
import { ValidationError } from '../core/errors';
import { startOnce } from './start-once';

export interface CompactLakeEvent {
  /** `YYYY-MM-DD`: compact that day (default: the days the compaction finds due). */
  readonly date?: string;
  readonly origin?: string;
}

/** Lambda: daily compaction of the realtime dataset. Env: LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE (+ EKM_KEYS_JSON). */
export function makeCompactLakeHandler(start: () => Promise<LakeWiring>) {
  return async (event: CompactLakeEvent = {}) => {
    if (event.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(event.date))
      throw new ValidationError('event.date', `expected YYYY-MM-DD, got ${JSON.stringify(event.date)}`);
    const lake = await start();
    const result = await lake.compact({
      ...(event.date ? { date: event.date } : {}),
      ...(event.origin ? { origins: [event.origin] } : {}),
    });
    const summary = {
      job: 'compact',
      days: result.days.length,
      objects: result.days.reduce((n, d) => n + d.inputs, 0),
    };
    console.log(JSON.stringify(summary));
    return { ...summary, keys: result.days.map((d) => d.key) };
  };
}

export const handler = makeCompactLakeHandler(startOnce(() => openLake(loadLakeConfig(process.env))));

import { openLake } from '../composition/lake';
import { projectConfigFromEnv } from '../config/env';
import { ValidationError } from '../core/errors';

/** Lambda: daily compaction of the realtime dataset. Env: LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE (+ EKM_KEYS_JSON). */
const config = projectConfigFromEnv(process.env);
const lake = openLake(config);

export const handler = async (event: { date?: string; origin?: string } = {}) => {
  if (event.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(event.date))
    throw new ValidationError('event.date', `expected YYYY-MM-DD, got ${JSON.stringify(event.date)}`);
  const result = await lake.compact({
    ...(event.date ? { date: event.date } : {}),
    ...(event.origin ? { origins: [event.origin] } : {}),
  });
  const summary = { job: 'compact', days: result.days.length, objects: result.days.reduce((n, d) => n + d.inputs, 0) };
  console.log(JSON.stringify(summary));
  return { ...summary, keys: result.days.map((d) => d.key) };
};

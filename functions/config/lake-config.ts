import { projectConfigFromEnv } from './env';
import type { ProjectConfig } from './project-config';

/**
 * The config of the lake Lambdas (`ingest-realtime`, `ingest-summary`, `compact-lake`) from their
 * environment: EKM_KEYS_JSON, EKM_*_URL, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE. The three read the
 * same variables; the lake and state sections are checked when the lake is opened.
 */
export function loadLakeConfig(env: Readonly<Record<string, string | undefined>>): ProjectConfig {
  return projectConfigFromEnv(env);
}

/**
 * The realtime ingest's memory budget inside Lambda: 80% of the function's configured memory
 * (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`). The chunk model fills its budget closely (the README's lake
 * benchmark: a 200-meter backfill with a 512 MB budget peaked at about 510 MB), so the rest is
 * headroom for the runtime and the garbage collector. Undefined outside Lambda.
 */
export function lambdaMemoryBudgetMb(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const configured = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return Number.isFinite(configured) && configured > 0 ? Math.floor(configured * 0.8) : undefined;
}

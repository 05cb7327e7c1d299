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

import { ValidationError } from '../core/errors';
import { optionalEnv, projectConfigFromEnv, requiredEnv } from './env';
import { ENV } from './env-names';
import type { ProjectConfig } from './project-config';

type Env = Readonly<Record<string, string | undefined>>;

/** What the scheduled `trigger-drift` Lambda needs, read from its environment. */
export interface TriggerDriftConfig {
  /** EKM endpoints and keys (EKM_KEYS_JSON, EKM_*_URL). */
  readonly project: ProjectConfig;
  /** The first key with a Trigger API token: the one the check uses. */
  readonly keyAlias: string;
  /** The desired trigger file in S3 (TRIGGERS_FILE_URI). */
  readonly desired: { readonly uri: string; readonly bucket: string; readonly key: string };
  /** The state table where drift is recorded (STATE_TABLE). */
  readonly table: string;
  /** Gateways whose drift is applied automatically (DRIFT_AUTO_APPLY_GATEWAYS). */
  readonly autoApplyGateways: ReadonlySet<string>;
}

/** Parse `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m?.[1] || !m[2])
    throw new ValidationError(
      ENV.TRIGGERS_FILE_URI,
      `${JSON.stringify(uri)} is not s3://bucket/key of the desired trigger file`,
    );
  return { bucket: m[1], key: m[2] };
}

/** Comma-separated gateway macs; each must be 12 lower-case hex digits. */
export function parseAutoApplyGateways(value: string | undefined): Set<string> {
  const macs = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const mac of macs)
    if (!/^[0-9a-f]{12}$/.test(mac))
      throw new ValidationError(
        ENV.DRIFT_AUTO_APPLY_GATEWAYS,
        `${JSON.stringify(mac)} is not a gateway mac (12 hex digits, no colons)`,
      );
  return new Set(macs);
}

/** The drift check's configuration from the Lambda environment; errors name the variable and the fix. */
export function loadTriggerDriftConfig(env: Env): TriggerDriftConfig {
  const project = projectConfigFromEnv(env);
  const uri = requiredEnv(env, ENV.TRIGGERS_FILE_URI);
  const desired = { uri, ...parseS3Uri(uri) };
  const table = requiredEnv(env, ENV.STATE_TABLE);
  const withToken = project.keys.find((k) => k.token);
  if (!withToken)
    throw new ValidationError(
      ENV.EKM_KEYS_JSON,
      'no key has a token ({ secretsManager: "..." }); the Trigger API needs a bearer token for the drift check',
    );
  const autoApplyGateways = parseAutoApplyGateways(optionalEnv(env, ENV.DRIFT_AUTO_APPLY_GATEWAYS));
  return { project, keyAlias: withToken.alias, desired, table, autoApplyGateways };
}

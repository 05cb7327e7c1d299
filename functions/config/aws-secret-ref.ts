import { checkSecretRef } from '@ekm-pipeline/shared';

/**
 * A secret reference as the AWS deployment writes it (CDK stage config, EKM_KEYS_JSON,
 * EDGE_GATEWAYS_JSON): the project file's SecretRef, limited to Secrets Manager, because a Lambda
 * has no other place to read a secret from.
 */
export type AwsSecretRef = { readonly secretsManager: string };

/** A key as the stage config and EKM_KEYS_JSON write it (the project file's `keys[]` shape). */
export interface AwsKeyConfig {
  /** Non-secret alias used in logs, object keys and tables. */
  readonly alias: string;
  /** The EKM Push key. */
  readonly secret: AwsSecretRef;
  /** The Trigger API bearer token. @default - no trigger drift for this key */
  readonly token?: AwsSecretRef;
  /** IANA zone of the site. @default 'UTC' */
  readonly timezone?: string;
  /** Parts the scheduled realtime ingest is split into by meter shard (1, 2, 4 … 64). @default 1 */
  readonly realtimeShards?: number;
}

/** A gateway as the stage config and EDGE_GATEWAYS_JSON write it (the project file's `edge.gateways[]` shape). */
export interface AwsGatewayConfig {
  readonly id: string;
  readonly token: AwsSecretRef;
  readonly meters: readonly string[];
}

/** The fields the AWS configs used to spell differently, and what replaced them. */
const OLD_SPELLINGS: Readonly<Record<string, 'secret' | 'token'>> = {
  secretName: 'secret',
  secretId: 'secret',
  tokenSecretName: 'token',
  tokenSecretId: 'token',
};

/**
 * What is wrong with `entry[field]` as an AWS secret reference, or undefined when it is one.
 * `at` names the entry in messages (`keys[0]`, `EKM_KEYS_JSON[0]`); an old spelling is named with its fix.
 */
export function awsSecretRefProblem(
  entry: Readonly<Record<string, unknown>>,
  field: 'secret' | 'token',
  at: string,
  required: boolean,
): string | undefined {
  for (const [old, replacement] of Object.entries(OLD_SPELLINGS))
    if (replacement === field && old in entry)
      return `${at}.${old} is the old spelling; write ${field}: { secretsManager: "..." }`;
  const raw = entry[field];
  if (raw === undefined)
    return required ? `${at}.${field} is missing; write ${field}: { secretsManager: "..." }` : undefined;
  const checked = checkSecretRef(raw, ['secretsManager']);
  if ('problem' in checked)
    return `${at}.${field}: ${checked.problem}; in AWS a secret is read from Secrets Manager: write ${field}: { secretsManager: "..." }`;
  return undefined;
}

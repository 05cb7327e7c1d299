import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SECRET_REF_HINT, type SecretRef } from '@ekm-pipeline/shared';
import { ConfigTextSyntaxError, parseConfigText } from '@ekm-pipeline/shared/config-text';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import schema from '../../schemas/project-config.schema.json';
import { checkGatewaySet } from '../core/edge/gateway-set';
import { isValidTimeZone } from '../core/ekm/ekm-time';
import { ValidationError } from '../core/errors';

/** Where a secret (EKM key, bearer token, gateway token) is read from: the one shape, shared with the edge (packages/shared). */
export type { SecretRef } from '@ekm-pipeline/shared';

export interface KeyConfig {
  readonly alias: string;
  readonly secret: SecretRef;
  readonly token?: SecretRef;
  readonly timezone?: string;
  /**
   * Parts the scheduled realtime ingest of this key is split into by meter shard (1, 2, 4 … 64), each
   * its own queue message and worker run, for keys with many meters. @default 1
   */
  readonly realtimeShards?: number;
}

export interface EkmEndpoints {
  readonly realtimeUrl: string;
  readonly summaryUrl: string;
  readonly accountUrl: string;
  readonly triggerUrl: string;
  readonly timeoutMs: number;
  readonly maxConcurrencyPerHost: number;
  readonly maxRetries: number;
  readonly realtimeBatchSize: number;
}

export interface ProjectConfig {
  readonly version: 1;
  /** Absolute path of the file this came from (relative paths inside it resolve against its folder). */
  readonly file: string;
  readonly ekm: EkmEndpoints;
  readonly keys: readonly KeyConfig[];
  readonly lake?: {
    readonly bucket: string;
    readonly prefix?: string;
    readonly endpoint?: string;
    readonly region?: string;
  };
  readonly state?: { readonly table: string; readonly endpoint?: string; readonly region?: string };
  readonly triggers?: { readonly file?: string };
  readonly edge?: {
    readonly gateways?: readonly {
      readonly id: string;
      readonly token: SecretRef;
      readonly meters: readonly string[];
    }[];
  };
}

/** EKM's public hosts (docs/ekm-push-apis.md §1.1). */
export const EKM_DEFAULT_ENDPOINTS: EkmEndpoints = {
  realtimeUrl: 'https://api.ekmpush.com',
  summaryUrl: 'https://summary.ekmpush.com',
  accountUrl: 'https://api.ekmpush.com',
  triggerUrl: 'https://api.ekmpush.com',
  timeoutMs: 15_000,
  maxConcurrencyPerHost: 8,
  maxRetries: 4,
  realtimeBatchSize: 25,
};

// Compiled on first use, so commands that never read a project file (`--help`) do not pay for it.
let compiled: ValidateFunction | undefined;
const schemaValidator = () => (compiled ??= addFormats(new Ajv({ allErrors: true, strict: false })).compile(schema));

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(top level)';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown property ${JSON.stringify(error.params.additionalProperty)}; remove it or check its spelling`;
  }
  if (error.keyword === 'oneOf' && where.match(/(secret|token)$/)) {
    return `${where}: must be exactly one of ${SECRET_REF_HINT}`;
  }
  return `${where}: ${error.message ?? 'is invalid'}${error.params && 'allowedValue' in error.params ? ` (${JSON.stringify(error.params.allowedValue)})` : ''}`;
}

/**
 * Validate a parsed config object against schemas/project-config.schema.json and fill defaults.
 * Errors name the file, the path inside it and the fix.
 */
export function parseProjectConfig(raw: unknown, file: string): ProjectConfig {
  const validate = schemaValidator();
  if (!validate(raw)) {
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
    // oneOf failures also report each branch's own error; keep the summary line only.
    const lines = [
      ...new Set(
        errors.filter((e) => !/\/(secret|token)$/.test(e.instancePath) || e.keyword === 'oneOf').map(describe),
      ),
    ];
    throw new ValidationError(file, `invalid config:\n  ${lines.join('\n  ')}`);
  }
  const cfg = raw as Omit<ProjectConfig, 'file' | 'ekm'> & { ekm?: Partial<EkmEndpoints> };
  const aliases = new Set<string>();
  cfg.keys.forEach((key, i) => {
    if (aliases.has(key.alias))
      throw new ValidationError(
        `${file}: /keys/${i}/alias`,
        `duplicate alias ${JSON.stringify(key.alias)}; aliases must be unique`,
      );
    aliases.add(key.alias);
    if (key.timezone !== undefined && !isValidTimeZone(key.timezone))
      throw new ValidationError(
        `${file}: /keys/${i}/timezone`,
        `unknown time zone ${JSON.stringify(key.timezone)}; use an IANA name such as America/New_York (the zone of the meters' site, used for summary dates)`,
      );
  });
  const gatewayIssues = checkGatewaySet(cfg.edge?.gateways ?? []);
  if (gatewayIssues.length > 0)
    throw new ValidationError(
      file,
      `unsafe edge gateways:\n  ${gatewayIssues.map((issue) => `${issue.path}: ${issue.message}`).join('\n  ')}`,
    );
  return { ...cfg, file: resolve(file), ekm: { ...EKM_DEFAULT_ENDPOINTS, ...cfg.ekm } };
}

/** Read a YAML or JSON project config file. */
export function loadProjectConfig(file: string): ProjectConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(
      file,
      'cannot read the config file; pass --config PATH or run `npm start` to create the local one',
      { cause },
    );
  }
  let raw: unknown;
  try {
    raw = parseConfigText(text);
  } catch (error) {
    // Position and problem only: the parser's own message quotes the line, which may hold a secret.
    if (error instanceof ConfigTextSyntaxError)
      throw new ValidationError(file, `not valid YAML/JSON: ${error.message}`);
    throw error;
  }
  return parseProjectConfig(raw, file);
}

/** Find a key by alias, or fail naming the aliases that exist. */
export function keyByAlias(config: ProjectConfig, alias: string): KeyConfig {
  const key = config.keys.find((k) => k.alias === alias);
  if (!key) {
    throw new ValidationError(
      '--key-alias',
      `no key with alias ${JSON.stringify(alias)} in ${config.file}; known aliases: ${config.keys.map((k) => k.alias).join(', ')}`,
    );
  }
  return key;
}

/** Resolve a path written in the config relative to the config file's folder. */
export function resolveConfigPath(config: ProjectConfig, path: string): string {
  return resolve(dirname(config.file), path);
}

/**
 * `edge.yaml`: one collector on one bus. Every error names the file, the path inside it, the bad
 * value and the fix. The gateway token is a secret reference of the pipeline's own shape
 * (packages/shared/src/secret-ref.ts: `{env}` or `{value}`; Secrets Manager is for the cloud side)
 * or, on the edge only, `{file}`; it is never printed.
 *
 * ```yaml
 * gateway: site-7            # the gateway id registered in the pipeline config (edge.gateways[].id)
 * port: /dev/ttyUSB0         # the RS-485 adapter
 * meters:
 *   - { address: "000300001463", family: v4 }
 *   - { address: "000000000026", family: v3 }
 * schedule: { bEvery: 10, pauseMs: 0 }
 * spool: /var/lib/ekm-edge/spool.db
 * uplink:
 *   endpoint: https://…/v1/edge/batches
 *   token: { env: EKM_EDGE_TOKEN }   # or { file: /etc/ekm-edge/token } or { value: "..." }
 *   batchSize: 500
 *   intervalMs: 10000
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  asError,
  checkSecretRef,
  familyOfAddress,
  familyOfProtocol,
  isMeterProtocol,
  type SecretRef,
} from '@ekm-pipeline/shared';
import { ConfigTextSyntaxError, parseConfigText } from '@ekm-pipeline/shared/config-text';
import type { MeterFamily } from './protocol/exchange';

export interface EdgeConfig {
  readonly file: string;
  readonly gateway: string;
  readonly port: string;
  readonly meters: readonly { readonly address: string; readonly family: MeterFamily }[];
  readonly schedule: { readonly bEvery: number; readonly pauseMs: number };
  readonly timing: { readonly firstByteMs: number; readonly completeMs: number; readonly retries: number };
  readonly spool: string;
  readonly uplink: {
    readonly endpoint: string;
    readonly token: EdgeTokenRef;
    readonly batchSize: number;
    readonly intervalMs: number;
  };
}

/** Where the gateway token is read from: a secret reference the edge can resolve, or a file. */
export type EdgeTokenRef = Exclude<SecretRef, { readonly secretsManager: string }> | { readonly file: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseEdgeConfig(raw: unknown, file: string): EdgeConfig {
  const fail = (path: string, value: unknown, fix: string): never => {
    throw new ConfigError(`${file}: ${path}: got ${JSON.stringify(value)}; ${fix}`);
  };
  if (!isObj(raw)) return fail('(top level)', raw, 'expected a mapping with gateway, port, meters, spool and uplink');
  const known = new Set(['gateway', 'port', 'meters', 'schedule', 'timing', 'spool', 'uplink']);
  for (const key of Object.keys(raw))
    if (!known.has(key)) fail(`/${key}`, raw[key], `unknown key; expected one of ${[...known].join(', ')}`);
  const str = (obj: Obj, key: string, path: string, pattern?: RegExp, fix = 'expected a non-empty string'): string => {
    const v = obj[key];
    if (typeof v !== 'string' || v.trim() === '' || (pattern && !pattern.test(v))) return fail(path, v, fix);
    return v;
  };
  const int = (obj: Obj | undefined, key: string, path: string, def: number, min: number, max: number): number => {
    const v = obj?.[key];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return fail(path, v, `expected an integer ${min}..${max}`);
    return v;
  };
  const gateway = str(
    raw,
    'gateway',
    '/gateway',
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'expected a gateway id like "site-7" (a-z, 0-9, -)',
  );
  const port = str(raw, 'port', '/port');
  if (!Array.isArray(raw.meters) || raw.meters.length === 0)
    fail('/meters', raw.meters, 'expected a list of { address, family }');
  const meters = (raw.meters as unknown[]).map((m, i) => {
    if (!isObj(m)) return fail(`/meters/${i}`, m, 'expected { address: "000300001463", family: v4 }');
    const address = str(
      m,
      'address',
      `/meters/${i}/address`,
      /^\d{12}$/,
      'expected 12 digits in quotes, e.g. "000300001463"',
    );
    const family = m.family ?? familyOfAddress(address);
    if (!isMeterProtocol(family)) return fail(`/meters/${i}/family`, family, 'expected v3, v4 or v5');
    return { address, family: familyOfProtocol(family) };
  });
  const schedule = isObj(raw.schedule) ? raw.schedule : undefined;
  const timing = isObj(raw.timing) ? raw.timing : undefined;
  if (!isObj(raw.uplink)) return fail('/uplink', raw.uplink, 'expected { endpoint, token: { env: NAME } }');
  const up = raw.uplink;
  const endpoint = str(up, 'endpoint', '/uplink/endpoint', /^https?:\/\/\S+$/, 'expected an http(s) URL');
  const tok = up.token;
  let token: EdgeConfig['uplink']['token'];
  const secret = checkSecretRef(tok, ['env', 'value']);
  if ('ref' in secret) token = secret.ref as EdgeTokenRef;
  else if (isObj(tok) && typeof tok.file === 'string' && tok.file !== '')
    token = { file: resolve(dirname(file), tok.file) };
  else
    token = fail(
      '/uplink/token',
      // Never echo the value: someone may have pasted the token itself here.
      isObj(tok) ? Object.keys(tok) : `(a ${typeof tok}, not shown)`,
      'expected { env: EKM_EDGE_TOKEN }, { file: /etc/ekm-edge/token } or { value: "..." } (a reference, never the bare token)',
    );
  return {
    file,
    gateway,
    port,
    meters,
    schedule: {
      bEvery: int(schedule, 'bEvery', '/schedule/bEvery', 10, 0, 100_000),
      pauseMs: int(schedule, 'pauseMs', '/schedule/pauseMs', 0, 0, 3_600_000),
    },
    timing: {
      firstByteMs: int(timing, 'firstByteMs', '/timing/firstByteMs', 500, 20, 10_000),
      completeMs: int(timing, 'completeMs', '/timing/completeMs', 600, 300, 10_000),
      retries: int(timing, 'retries', '/timing/retries', 2, 0, 10),
    },
    spool: resolve(dirname(file), str(raw, 'spool', '/spool')),
    uplink: {
      endpoint,
      token,
      batchSize: int(up, 'batchSize', '/uplink/batchSize', 500, 1, 1000),
      intervalMs: int(up, 'intervalMs', '/uplink/intervalMs', 10_000, 100, 86_400_000),
    },
  };
}

export function loadEdgeConfig(file: string): EdgeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the config (${asError(error).message}); pass --config PATH`);
  }
  let raw: unknown;
  try {
    raw = parseConfigText(text);
  } catch (error) {
    // Position and problem only (config-text.ts): the parser's message would quote the line.
    if (error instanceof ConfigTextSyntaxError) throw new ConfigError(`${file}: not valid YAML: ${error.message}`);
    throw error;
  }
  return parseEdgeConfig(raw, resolve(file));
}

/** Read the gateway token from where the config points; fails naming the variable or file. */
export function resolveToken(config: EdgeConfig, env: NodeJS.ProcessEnv): string {
  const ref = config.uplink.token;
  if ('value' in ref) return ref.value.trim();
  if ('env' in ref) {
    const value = env[ref.env]?.trim();
    if (!value)
      throw new ConfigError(
        `${config.file}: /uplink/token: environment variable ${ref.env} is not set; export it (the gateway token)`,
      );
    return value;
  }
  try {
    const value = readFileSync(ref.file, 'utf8').trim();
    if (value) return value;
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(`${config.file}: /uplink/token: cannot read a token from ${ref.file}`);
}

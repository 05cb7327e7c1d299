/**
 * Which configured EKM key(s) a command or a wiring works on (`--key-alias`). The one place that
 * picks keys by alias: every command and composition module goes through these.
 */
import { ValidationError } from '../core/errors';
import { type KeyConfig, keyByAlias, type ProjectConfig } from './project-config';

export { keyByAlias };

/** The configured key with `alias` and its index in `keys` (for `file: /keys/<index>/…` errors). */
export function keyEntry(config: ProjectConfig, alias: string): { readonly key: KeyConfig; readonly index: number } {
  const key = keyByAlias(config, alias);
  return { key, index: config.keys.indexOf(key) };
}

/** One alias: the one asked for (it must exist), or the only key of the config. */
export function pickKeyAlias(config: ProjectConfig, asked: string | undefined): string {
  if (asked) return keyByAlias(config, asked).alias;
  const [only, ...rest] = config.keys;
  if (only && rest.length === 0) return only.alias;
  throw new ValidationError(
    '--key-alias',
    `the config ${config.file} has ${config.keys.length} keys; pick one with --key-alias (${config.keys.map((k) => k.alias).join(', ')})`,
  );
}

/** The aliases to run over: the one asked for (it must exist), or every key of the config. */
export function keyAliasesToRun(config: ProjectConfig, asked: string | undefined): string[] {
  return asked ? [keyByAlias(config, asked).alias] : config.keys.map((k) => k.alias);
}

/**
 * Parts the realtime ingest of `origin` is split into (its key's `realtimeShards`); 1 for an origin
 * that is no configured key (an edge gateway id).
 */
export function realtimeShardsOf(config: ProjectConfig, origin: string): number {
  return config.keys.find((k) => k.alias === origin)?.realtimeShards ?? 1;
}

import { existsSync } from 'node:fs';
import { loadProjectConfig, type ProjectConfig } from '../functions/config/project-config';
import { ValidationError } from '../functions/core/errors';

/** Where commands look for the project config when `--config` is not given, in order. */
export const DEFAULT_CONFIGS = ['ekm-pipeline.yaml', '.local/ekm-pipeline.yaml'];

/** `--config` help text shared by every command. */
export const CONFIG_OPTION_HELP = `project config (default: ${DEFAULT_CONFIGS.join(' or ')})`;

/** The config named by `--config`, else the first default that exists, else a clear error. */
export function findProjectConfig(path: string | undefined): ProjectConfig;
export function findProjectConfig(path: string | undefined, opts: { required: false }): ProjectConfig | undefined;
export function findProjectConfig(path: string | undefined, opts?: { required: boolean }): ProjectConfig | undefined {
  if (path) return loadProjectConfig(path);
  const found = DEFAULT_CONFIGS.find((f) => existsSync(f));
  if (found) return loadProjectConfig(found);
  if (opts?.required === false) return undefined;
  throw new ValidationError(
    '--config',
    `no project config found (looked for ${DEFAULT_CONFIGS.join(', ')}); pass --config PATH, or run \`npm start -- --serve\` to create and serve the local one`,
  );
}

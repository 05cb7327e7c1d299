import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The ekm-pipeline package's folder (where `.local/`, `examples/` and `edge-collector/` are), found
 * upwards from this module: the same answer from the sources (`cli/`) and from the built CLI (`dist/`).
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ekm-pipeline'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`no ekm-pipeline package.json above ${from}`);
  }
}

#!/usr/bin/env node
// `ekm-edge` runs dist/ekm-edge.cjs, built at install (`prepare` of the ekm-pipeline root) and by
// `npm test` (scripts/build-cli.cjs of the root), when it is newer than src/ and package.json.
// Otherwise (no build, or sources edited since) it runs the TypeScript sources through tsx, so an
// edit is never stale and the workspace runs on its own.
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const built = join(root, 'dist', 'ekm-edge.cjs');

function newestMtime(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its folder's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function builtIsFresh() {
  let builtAt;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    return false;
  }
  return ['src', 'package.json'].every((source) => newestMtime(join(root, source)) <= builtAt);
}

process.env.EKM_EDGE_MAIN = '1';
if (builtIsFresh()) {
  require(built);
} else {
  require('tsx/cjs/api').register();
  require('../src/cli/main.ts');
}

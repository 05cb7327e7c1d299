#!/usr/bin/env node
// `ekm-pipeline` runs dist/ekm-pipeline.cjs, the CLI built at install (`prepare`) and by `npm test`
// (scripts/build-cli.cjs), when it is newer than every source it is built from. Otherwise (no build
// yet, or sources edited since) it runs the TypeScript sources through tsx, so an edit is never stale.
// Node 20 is a supported runtime of this project (Lambda runs 22); the AWS SDK's notice about its
// own future Node 22 requirement is not actionable here, so it is silenced unless set explicitly.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const built = join(root, 'dist', 'ekm-pipeline.cjs');
/** What the build reads: our code (packages/ included), the JSON Schemas it inlines, and package.json (version, dependencies). */
const SOURCES = ['cli', 'functions', 'local', 'schemas', 'packages', 'package.json'];

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
  return SOURCES.every((source) => newestMtime(join(root, source)) <= builtAt);
}

if (builtIsFresh()) {
  require(built);
} else {
  require('tsx/cjs/api').register();
  require('../cli/main.ts');
}

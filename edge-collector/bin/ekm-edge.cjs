#!/usr/bin/env node
// The edge CLI runs its TypeScript sources through tsx, so `npx ekm-edge` needs no build step.
require('tsx/cjs/api').register();
process.env.EKM_EDGE_MAIN = '1';
require('../src/cli/main.ts');

#!/usr/bin/env node
// The CLI runs its TypeScript sources through tsx, so `npx ekm-pipeline` needs no build step.
require('tsx/cjs/api').register();
require('../functions/cli/main.ts');

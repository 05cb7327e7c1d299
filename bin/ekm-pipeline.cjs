#!/usr/bin/env node
// The CLI runs its TypeScript sources through tsx, so `npx ekm-pipeline` needs no build step.
// Node 20 is a supported runtime of this project (Lambda runs 22); the AWS SDK's notice about its
// own future Node 22 requirement is not actionable here, so it is silenced unless set explicitly.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('../cli/main.ts');

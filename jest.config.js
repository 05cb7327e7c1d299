// One jest run covers both workspaces (root + edge-collector) through projects.
// @swc/jest transpiles only; `npm run typecheck` does the type checking.
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
// ESM-only packages that jest must transpile to CommonJS.
const esmOnly = ['hyparquet', 'hyparquet-writer'].join('|');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  projects: [
    {
      displayName: 'root',
      rootDir: __dirname,
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.(t|j|mj)s$': swc },
      transformIgnorePatterns: [`/node_modules/(?!(${esmOnly})/)`],
      moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
    },
    '<rootDir>/edge-collector',
  ],
};

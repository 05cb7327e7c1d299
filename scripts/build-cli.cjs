#!/usr/bin/env node
// Builds what `ekm-pipeline` runs: one CommonJS file, dist/ekm-pipeline.cjs, from cli/main.ts (run by
// `npm install`/`npm ci` through the `prepare` script, and by `npm test` first). bin/ekm-pipeline.cjs
// runs it when it is newer than the sources and runs the sources through tsx otherwise.
//
// The bundle holds the project's own code and commander. Every other package stays in node_modules
// and is loaded on first use: an import of it compiles to an object whose exports are getters that
// require the package when one is first read. `--help` and light commands therefore never load the
// AWS SDK, DuckDB, Arrow, parquet-wasm (which finds its .wasm next to itself) or undici.
const { builtinModules } = require('node:module');
const { mkdirSync, renameSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const outfile = join(root, 'dist', 'ekm-pipeline.cjs');
/** Bundled as they are: small and needed to answer `--help`. */
const EAGER = new Set(['commander']);

function isBareImport(spec) {
  return !spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('node:') && !builtinModules.includes(spec);
}

/** Packages loaded on first use; one that cannot be loaded here (a devDependency under --omit=dev) stays a plain external. */
const lazyPackages = {
  name: 'lazy-packages',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!isBareImport(args.path)) return undefined;
      const pkg = args.path;
      // The stub's own require of the package: left to Node at run time.
      if (args.namespace === 'lazy-package') return { path: pkg, external: true };
      if (
        EAGER.has(
          pkg
            .split('/')
            .slice(0, pkg.startsWith('@') ? 2 : 1)
            .join('/'),
        )
      )
        return undefined;
      if (args.kind === 'require-call' || args.kind === 'dynamic-import' || args.kind === 'require-resolve')
        return { path: pkg, external: true };
      return { path: pkg, namespace: 'lazy-package' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
      let names;
      try {
        names = Object.keys(require(require.resolve(args.path, { paths: [root] })));
      } catch {
        return { contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' };
      }
      const keys = JSON.stringify(names.filter((n) => n !== '__esModule' && n !== 'default'));
      return {
        loader: 'js',
        contents: `let loaded;
const load = () => (loaded ??= require(${JSON.stringify(args.path)}));
Object.defineProperty(exports, '__esModule', { value: true });
Object.defineProperty(exports, 'default', { enumerable: true, get: () => { const m = load(); return m && m.__esModule ? m.default : m; } });
for (const name of ${keys}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
`,
      };
    });
  },
};

async function main() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    process.stderr.write(
      'ekm-pipeline: esbuild is not installed; the CLI runs from its TypeScript sources (slower start)\n',
    );
    return;
  }
  mkdirSync(join(root, 'dist'), { recursive: true });
  const tmp = `${outfile}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: [join(root, 'cli', 'main.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'error',
      plugins: [lazyPackages],
      banner: { js: '// Built by scripts/build-cli.cjs from cli/main.ts; do not edit.' },
    });
    // Atomic: a CLI started meanwhile sees the old file or the new one, never half of one.
    renameSync(tmp, outfile);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

main().catch((error) => {
  process.stderr.write(`ekm-pipeline: building the CLI failed: ${error.message}\n`);
  process.exitCode = 1;
});

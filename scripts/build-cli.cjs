#!/usr/bin/env node
// Builds what the two CLIs run, one CommonJS file each (run by `npm install`/`npm ci` through the
// `prepare` script, and by `npm test` first):
//   ekm-pipeline: cli/main.ts                    -> dist/ekm-pipeline.cjs
//   ekm-edge:     edge-collector/src/cli/main.ts -> edge-collector/dist/ekm-edge.cjs
// Each bin (bin/ekm-pipeline.cjs, edge-collector/bin/ekm-edge.cjs) runs its build when it is newer
// than the sources and runs the sources through tsx otherwise.
//
// The bundle holds the project's own code, its workspace packages and commander. Every other package
// stays in node_modules
// and is loaded on first use: an import of it compiles to an object whose exports are getters that
// require the package when one is first read. `--help` and light commands therefore never load the
// AWS SDK, DuckDB, Arrow, parquet-wasm (which finds its .wasm next to itself) or undici.
const { builtinModules } = require('node:module');
const { existsSync, mkdirSync, realpathSync, renameSync, rmSync } = require('node:fs');
const { dirname, join, sep } = require('node:path');

const root = join(__dirname, '..');
const TARGETS = [
  {
    name: 'ekm-pipeline',
    dir: root,
    entry: join(root, 'cli', 'main.ts'),
    outfile: join(root, 'dist', 'ekm-pipeline.cjs'),
  },
  {
    name: 'ekm-edge',
    dir: join(root, 'edge-collector'),
    entry: join(root, 'edge-collector', 'src', 'cli', 'main.ts'),
    outfile: join(root, 'edge-collector', 'dist', 'ekm-edge.cjs'),
  },
];
/** Bundled as they are: small and needed to answer `--help`; the shared workspace package is TypeScript source. */
const EAGER = new Set(['commander', '@ekm-pipeline/shared']);

function isBareImport(spec) {
  return !spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('node:') && !builtinModules.includes(spec);
}

/** A workspace package (linked from node_modules to a folder of this repository, TypeScript sources): bundled. */
function isWorkspacePackage(pkg, fromDir) {
  try {
    return !realpathSync(require.resolve(pkg, { paths: [fromDir] }))
      .split(sep)
      .includes('node_modules');
  } catch {
    return false;
  }
}

/** Packages loaded on first use; one that cannot be loaded here (a devDependency under --omit=dev) stays a plain external. */
const lazyPackages = (packageDir) => ({
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
      // A path looked up at run time (require.resolve) stays one.
      if (args.kind === 'require-resolve') return { path: pkg, external: true };
      if (isWorkspacePackage(pkg, args.resolveDir || packageDir)) return undefined;
      // Already loaded on use by our code (local-only tools): left to Node at run time.
      if (args.kind === 'require-call' || args.kind === 'dynamic-import') return { path: pkg, external: true };
      return { path: pkg, namespace: 'lazy-package' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
      let names;
      try {
        names = Object.keys(require(require.resolve(args.path, { paths: [packageDir] })));
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
});

async function buildOne(esbuild, target) {
  mkdirSync(dirname(target.outfile), { recursive: true });
  const tmp = `${target.outfile}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      absWorkingDir: target.dir,
      entryPoints: [target.entry],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'error',
      plugins: [lazyPackages(target.dir)],
      banner: { js: `// Built by scripts/build-cli.cjs from ${target.entry.slice(root.length + 1)}; do not edit.` },
    });
    // Atomic: a CLI started meanwhile sees the old file or the new one, never half of one.
    renameSync(tmp, target.outfile);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new Error(`${target.name}: ${error.message}`);
  }
}

async function main() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    process.stderr.write(
      'ekm-pipeline: esbuild is not installed; the CLIs run from their TypeScript sources (slower start)\n',
    );
    return;
  }
  for (const target of TARGETS) if (existsSync(target.entry)) await buildOne(esbuild, target);
}

// At install (`prepare`), a failed build must not fail the install: the bins then run the sources,
// which report the same problem when a command is used. `npm test` and `npm run build` fail on it.
const atInstall = process.argv.includes('--at-install');

main().catch((error) => {
  process.stderr.write(
    `ekm-pipeline: building the CLIs failed: ${error.message}${atInstall ? '\n(the CLIs run from their TypeScript sources until `npm run build` succeeds)' : ''}\n`,
  );
  process.exitCode = atInstall ? 0 : 1;
});

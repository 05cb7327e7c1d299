import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The CLI as installed users run it: dist/ekm-pipeline.cjs, built by scripts/build-cli.cjs (at
 * install, and by `npm test` before jest). Other CLI tests spawn bin/ekm-pipeline.cjs, which runs
 * this build when it is fresh; this suite runs the built file itself.
 */
const ROOT = join(__dirname, '../..');
const BUILT = join(ROOT, 'dist', 'ekm-pipeline.cjs');
const HEAVY = ['@aws-sdk/', '@duckdb/', 'apache-arrow', 'parquet-wasm', 'undici', 'ajv', 's3rver'];

jest.setTimeout(60_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, TZ: 'UTC' }, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ).stdin?.end();
  });
}

/** Newest modification time under a path (what bin/ekm-pipeline.cjs compares the build with). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

beforeAll(() => {
  // `npm test` builds first; a jest run on its own builds here when the build is missing or stale.
  const sources = ['cli', 'functions', 'local', 'schemas', 'package.json'].map((s) => newest(join(ROOT, s)));
  if (!existsSync(BUILT) || statSync(BUILT).mtimeMs < Math.max(...sources))
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.cjs')], { cwd: ROOT });
});

describe('the built CLI (dist/ekm-pipeline.cjs)', () => {
  it('answers --help and --version without loading the AWS SDK, DuckDB, Arrow, parquet-wasm, undici or ajv', async () => {
    // A preload that lists the packages the process loaded, printed at exit on stderr.
    const dir = mkdtempSync(join(tmpdir(), 'ekm-built-cli-'));
    const probe = join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      `const M = require('node:module');
const seen = new Set();
const load = M._load;
M._load = function (request, ...rest) {
  if (!request.startsWith('.') && !request.startsWith('/') && !request.startsWith('node:')) seen.add(request);
  return load.call(this, request, ...rest);
};
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n'));
`,
    );
    const help = await run(['-r', probe, BUILT, '--help']);
    rmSync(dir, { recursive: true, force: true });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ekm-pipeline');
    for (const command of ['ingest', 'triggers', 'bill', 'fake-cloud', 'query']) expect(help.stdout).toContain(command);
    const loaded = JSON.parse(/LOADED (.*)/.exec(help.stderr)?.[1] ?? '[]') as string[];
    expect(loaded.filter((p) => HEAVY.some((h) => p.startsWith(h)))).toEqual([]);
    const version = await run([BUILT, '--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('runs commands that load their packages on use (billing validate, tariff show, triggers validate)', async () => {
    const billing = await run([BUILT, 'billing', 'validate', 'examples/billing.yaml', '--json']);
    expect(billing).toMatchObject({ code: 0 });
    expect(JSON.parse(billing.stdout)).toMatchObject({ ok: true, file: 'examples/billing.yaml' });
    const tariff = readdirSync(join(ROOT, 'examples', 'tariffs')).find((f) => f.endsWith('.json'));
    const shown = await run([BUILT, 'tariff', 'show', join('examples', 'tariffs', tariff ?? 'missing.json')]);
    expect(shown.code).toBe(0);
    expect(shown.stdout.length).toBeGreaterThan(100);
    const triggers = await run([BUILT, 'triggers', 'validate', 'examples/triggers.yaml', '--offline', '--json']);
    expect(triggers.code).toBe(0);
    expect(JSON.parse(triggers.stdout)).toMatchObject({ ok: true });
  });

  it('is what bin/ekm-pipeline.cjs runs while it is fresh (same output as the built file)', async () => {
    const [viaBin, direct] = await Promise.all([
      run([join(ROOT, 'bin', 'ekm-pipeline.cjs'), 'billing', 'validate', 'examples/billing.yaml']),
      run([BUILT, 'billing', 'validate', 'examples/billing.yaml']),
    ]);
    expect(viaBin).toEqual(direct);
  });
});

describe('the built edge CLI (edge-collector/dist/ekm-edge.cjs)', () => {
  const EDGE_BUILT = join(ROOT, 'edge-collector', 'dist', 'ekm-edge.cjs');

  it('answers --help, and is what bin/ekm-edge.cjs runs while it is fresh', async () => {
    if (!existsSync(EDGE_BUILT) || statSync(EDGE_BUILT).mtimeMs < newest(join(ROOT, 'edge-collector', 'src')))
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.cjs')], { cwd: ROOT });
    const help = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [EDGE_BUILT, '--help'],
        { cwd: ROOT, env: { ...process.env, EKM_EDGE_MAIN: '1' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ).stdin?.end();
    });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ekm-edge');
    const viaBin = await run([join(ROOT, 'edge-collector', 'bin', 'ekm-edge.cjs'), '--help']);
    expect(viaBin).toEqual(help);
  });
});

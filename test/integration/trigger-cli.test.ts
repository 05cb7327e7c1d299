import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerTriggers } from '../../cli/commands/triggers';
import { reportError } from '../../cli/output';
import { DEMO_ACCOUNT_KEY, DEMO_BEARER_TOKEN, demoAccount } from '../../local/ekm-cloud/identities';
import { type FakeCloud, startFakeCloud } from '../../local/ekm-cloud/server';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/triggers.yaml');
const READ_TOKEN = 'READonlyTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';

// One run goes through the real binary (a process, ~2-10 s under load); the rest run the same
// command module in process, capturing stdout/stderr and the exit code as main.ts sets them.
jest.setTimeout(60_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (bin/ekm-pipeline.cjs) with stdin not a terminal. */
function spawnCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin/ekm-pipeline.cjs'), 'triggers', ...args],
      { cwd: ROOT, env: { ...process.env, TZ: 'UTC' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** `ekm-pipeline triggers ...` in process (stdin of a jest worker is not a terminal). */
async function cli(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  const saved = process.exitCode;
  process.exitCode = undefined;
  let code: number;
  try {
    const program = new Command('ekm-pipeline').exitOverride();
    registerTriggers(program);
    await program.parseAsync(['node', 'ekm-pipeline', 'triggers', ...args]).catch((error: unknown) => {
      process.exitCode = reportError(error);
    });
    code = Number(process.exitCode ?? 0);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.exitCode = saved;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('ekm-pipeline triggers (CLI)', () => {
  let cloud: FakeCloud;
  let dir: string;
  const config = (token: string) => {
    const file = join(dir, `config-${token.slice(0, 4)}.yaml`);
    writeFileSync(
      file,
      [
        'version: 1',
        `ekm: { accountUrl: "${cloud.url}", triggerUrl: "${cloud.url}", maxRetries: 0 }`,
        'keys:',
        '  - alias: site',
        `    secret: { value: "${DEMO_ACCOUNT_KEY}" }`,
        `    token: { value: "${token}" }`,
        '',
      ].join('\n'),
    );
    return file;
  };

  beforeAll(async () => {
    const base = demoAccount();
    cloud = await startFakeCloud({
      account: { ...base, tokens: [...base.tokens, { token: READ_TOKEN, permission: 'READ', privilege: 'OWNER' }] },
    });
    dir = mkdtempSync(join(tmpdir(), 'ekm-trigger-cli-'));
  });
  afterAll(async () => {
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans (exit 2), refuses to apply without a TTY or --auto-approve, applies, then plans clean (exit 0)', async () => {
    const cfg = config(DEMO_BEARER_TOKEN);
    const plan = await spawnCli(['plan', EXAMPLE, '--config', cfg]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/\+ {3}create {4}"Some trigger"/);
    const refused = await cli(['apply', EXAMPLE, '--config', cfg]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to apply without confirmation: stdin is not a terminal.*--auto-approve/);
    const applied = await cli(['apply', EXAMPLE, '--config', cfg, '--auto-approve', '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout).apply).toMatchObject({ ok: true, applied: 4, failed: 0 });
    const clean = await cli(['plan', EXAMPLE, '--config', cfg, '--json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ changesPending: false, summary: { unchanged: 4 } });
    const text = await cli(['plan', EXAMPLE, '--config', cfg]);
    expect(text.stdout).toMatch(/No changes: the gateways match the file\./);
    for (const run of [plan, refused, applied, clean, text]) {
      expect(run.stdout + run.stderr).not.toContain(DEMO_ACCOUNT_KEY);
      expect(run.stdout + run.stderr).not.toContain(DEMO_BEARER_TOKEN);
    }
  });

  it('validates and shows the next RRULE firings', async () => {
    const run = await cli(['validate', EXAMPLE, '--config', config(DEMO_BEARER_TOKEN)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/valid: 4 trigger\(s\) on 1 gateway\(s\); gateways, meters, relays and fields checked/);
    expect(run.stdout).toMatch(
      /"Weekday morning relay": next firings \(UTC\)\n( {4}\d{4}-\d\d-\d\dT06:00:00Z\n){4} {4}\d{4}-\d\d-\d\dT06:00:00Z/,
    );
  });

  it('fails apply up front with a READ token (planning with one: trigger-sync.test.ts)', async () => {
    const cfg = config(READ_TOKEN);
    const file = join(dir, 'one.yaml');
    writeFileSync(
      file,
      'version: 1\ngateways:\n  - mac: "4016fa0500cd"\n    triggers:\n      - name: read-token test\n        conditions: [{ type: rrule, rrule: "DTSTART:20250101T000000Z\\nRRULE:FREQ=DAILY" }]\n        actions: [{ target: gateway, command: sendEmail }]\n',
    );
    const apply = await cli(['apply', file, '--config', cfg, '--auto-approve']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/key alias "site" has READ permission only; nothing was applied/);
    expect(apply.stdout).toBe('');
    expect(apply.stderr).not.toContain(READ_TOKEN);
  });

  it('reports bad input with file, path and fix (exit 1), as text and as --json data', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'version: 1\ngateways:\n  - mac: "4016fa0500cd"\n    triggers:\n      - name: relay on v3\n        conditions: [{ type: data, source: meter, source_id: "000000010068", field: kWh_Tot, threshold_test: ">", threshold_value: 5 }]\n        actions: [{ target: meter, target_id: "000000010068", command: setRelay, params: { relay: relay_1, status: close } }]\n',
    );
    const text = await cli(['validate', file, '--config', config(DEMO_BEARER_TOKEN)]);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(
      `${file}:/gateways/0/triggers/0/actions/0: setRelay on meter 000000010068, a v3 Omnimeter`,
    );
    const json = await cli(['plan', file, '--config', config(DEMO_BEARER_TOKEN), '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      issues: [{ file, path: '/gateways/0/triggers/0/actions/0' }],
      messages: [
        expect.stringMatching(/setRelay on meter 000000010068, a v3 Omnimeter: v3 meters have no controllable relays/),
      ],
    });
  });

  it('fails clearly when no config can be found for plan', async () => {
    const run = await cli(['plan', EXAMPLE, '--config', join(dir, 'missing.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/missing\.yaml: cannot read the config file; pass --config PATH or run `npm start`/);
  });
});

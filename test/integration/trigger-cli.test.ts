import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_KEY, DEMO_BEARER_TOKEN, demoAccount } from '../../functions/fake-cloud/identities';
import { type FakeCloud, startFakeCloud } from '../../functions/fake-cloud/server';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/triggers.yaml');
const READ_TOKEN = 'READonlyTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (bin/ekm-pipeline.cjs) with stdin not a terminal. */
function cli(args: string[]): Promise<Run> {
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

// Each run starts a real CLI process (tsx transpiles on start: ~1.5 s each).
jest.setTimeout(30_000);

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
    const plan = await cli(['plan', EXAMPLE, '--config', cfg]);
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
    for (const run of [plan, refused, applied, clean]) {
      expect(run.stdout + run.stderr).not.toContain(DEMO_ACCOUNT_KEY);
      expect(run.stdout + run.stderr).not.toContain(DEMO_BEARER_TOKEN);
    }
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

  it('reports bad input with file, path and fix (exit 1) as --json data', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'version: 1\ngateways:\n  - mac: "4016fa0500cd"\n    triggers:\n      - name: relay on v3\n        conditions: [{ type: data, source: meter, source_id: "000000010068", field: kWh_Tot, threshold_test: ">", threshold_value: 5 }]\n        actions: [{ target: meter, target_id: "000000010068", command: setRelay, params: { relay: relay_1, status: close } }]\n',
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
});

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
jest.setTimeout(60_000);

/** Run the real CLI; a run still going after 20 s is killed (it used to spin at 100 % CPU). */
function cli(
  args: string[],
): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args],
      { cwd: ROOT, env: { ...process.env, TZ: 'UTC' }, timeout: 20_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          killed: child.killed,
          stdout,
          stderr,
          ms: Date.now() - started,
        }),
    );
    child.stdin?.end();
  });
}

function triggersFile(rules: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ekm-rrule-'));
  const file = join(dir, 'triggers.yaml');
  const triggers = rules
    .map(
      (rrule, i) =>
        `      - name: Rule ${i}\n        conditions:\n          - { type: rrule, rrule: "${rrule}" }\n        actions:\n          - { target: gateway, command: sendEmail }\n`,
    )
    .join('');
  writeFileSync(file, `version: 1\ngateways:\n  - mac: "4016fa0500cd"\n    triggers:\n${triggers}`);
  writeFileSync(
    join(dir, 'ekm-pipeline.yaml'),
    'version: 1\nekm: { accountUrl: "http://127.0.0.1:9", triggerUrl: "http://127.0.0.1:9", maxRetries: 0 }\nkeys:\n  - alias: demo\n    secret: { value: not-a-key }\n    token: { value: not-a-token }\n',
  );
  return file;
}

describe('triggers validate / plan on RRULEs (real process)', () => {
  const never = 'DTSTART:20250101T000000Z\\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30';

  it.each([['validate'], ['plan']])(
    'fails fast when %s meets a rule that can never fire, naming it',
    async (command) => {
      // Prepare
      const file = triggersFile([never]);
      const config = join(file, '../ekm-pipeline.yaml');
      // Act
      const r = await cli(['triggers', command, file, '--config', config]);
      // Assess
      expect(r.killed).toBe(false);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('/gateways/0/triggers/0/conditions/0/rrule');
      expect(r.stderr).toContain('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 never fires');
    },
  );

  it('validates high-frequency rules with an old DTSTART at once and prints firings from now', async () => {
    // Prepare
    const file = triggersFile([
      'DTSTART:20200101T000000Z\\nRRULE:FREQ=MINUTELY',
      'DTSTART:20250101T000000Z\\nRRULE:FREQ=SECONDLY',
      'DTSTART:20000101T000000Z\\nRRULE:FREQ=HOURLY',
    ]);
    // Act
    const r = await cli(['triggers', 'validate', file, '--json']);
    // Assess
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { firings: { next: string[] }[] };
    expect(out.firings).toHaveLength(3);
    const now = Date.now();
    for (const f of out.firings) {
      expect(f.next).toHaveLength(5);
      // Starting from now: the first firing is within the next hour.
      expect(Date.parse(f.next[0] ?? '') - now).toBeLessThan(3_600_000);
    }
  });
});

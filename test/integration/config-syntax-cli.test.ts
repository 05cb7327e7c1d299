import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const KEY = 'S3cr3tEkmKeyQWERTY';
const TOKEN = 'tok_9f8e7d6c5b4aZZ';

jest.setTimeout(60_000);

function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args],
      { cwd: ROOT, env: { ...process.env, TZ: 'UTC' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('ekm-pipeline on a file with a YAML syntax error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ekm-syntax-'));

  it('fails when the project config does not parse, naming file, line and column but no secret', async () => {
    // Prepare: an inline key with an unquoted ": " and a bearer token on the next line.
    const file = join(dir, 'ekm-pipeline.yaml');
    writeFileSync(
      file,
      `version: 1\nkeys:\n  - alias: demo\n    secret: { value: ${KEY}: x }\n    token: { value: "${TOKEN}" }\n`,
    );
    // Act
    const r = await spawnCli(['meters', '--config', file]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/line 4, column 22: /);
    expect(r.stderr + r.stdout).not.toContain(KEY);
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
    expect(r.stderr).not.toContain('secret: {');
  });

  it('fails when the triggers file does not parse, without quoting its lines', async () => {
    // Prepare: a token-like value starting with `*` reads as an alias, and the parser names it.
    const file = join(dir, 'triggers.yaml');
    writeFileSync(file, `version: 1\ngateways:\n  - mac: "4016fa0500cd"\n    triggers:\n      - name: *${TOKEN}\n`);
    // Act
    const r = await spawnCli(['triggers', 'validate', file]);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/line 5, column 15: /);
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
  });
});

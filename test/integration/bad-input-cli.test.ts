import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** Bad flag values fail (exit 1) naming the flag, instead of succeeding quietly (real processes). */
const ROOT = join(__dirname, '../..');
jest.setTimeout(60_000);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('ekm-pipeline on bad flag values', () => {
  it.each([
    [
      'compact --date 2026-13-45',
      ['compact', '--date', '2026-13-45'],
      /^error: --date: expected a UTC date YYYY-MM-DD that exists, got "2026-13-45"/,
    ],
    ['compact --date 2026-02-30', ['compact', '--date', '2026-02-30'], /^error: --date: .*"2026-02-30"/],
    [
      'query --lake-dir /nonexistent',
      ['query', '--lake-dir', '/nonexistent/ekm-lake', 'SELECT 1'],
      /^error: --lake-dir: "\/nonexistent\/ekm-lake" does not exist/,
    ],
  ])('fails on %s, naming the flag', async (_what, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

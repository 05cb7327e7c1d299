import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudStage } from '../../local/demo/cloud-stage';
import { lakeStage } from '../../local/demo/lake-stage';
import { type DemoRun, runDemo } from '../../local/demo/run-demo';

/**
 * After `npm start -- --serve` brings the local stack up, the README's commands run as written
 * (default config `.local/ekm-pipeline.yaml`, no --lake-dir); once the stack is down they fail
 * saying how to start it. Real CLI processes, in a scratch folder instead of the repo's .local/.
 */
const ROOT = join(__dirname, '../..');
jest.setTimeout(240_000);

function cli(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args],
      { cwd, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('README commands against the npm start stack', () => {
  it('work while it serves, and say how to start it once it is down', async () => {
    // Prepare: the cloud and lake stages of npm start, serving, in a scratch root.
    const root = mkdtempSync(join(tmpdir(), 'ekm-start-'));
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let serving: () => void = () => {};
    const up = new Promise<void>((resolve) => {
      serving = resolve;
    });
    const lines: string[] = [];
    const demo: Promise<DemoRun> = runDemo([cloudStage, lakeStage], {
      rootDir: root,
      serve: true,
      log: (line) => {
        lines.push(line);
        if (line.startsWith('Serving the local stack')) serving();
      },
      waitForStop: () => stopped,
    });
    await Promise.race([up, demo.then((run) => Promise.reject(new Error(`demo ended: ${JSON.stringify(run)}`)))]);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    try {
      // Act: the README's lake commands, as written.
      const ingest = await cli(root, ['ingest', 'realtime', '--key-alias', 'demo', '--json']);
      const summary = await cli(root, ['ingest', 'summary', '--from', yesterday, '--to', today, '--json']);
      const compact = await cli(root, ['compact', '--json']);
      const query = await cli(root, ['query', '--json', 'SELECT count(*)::INT AS n FROM realtime']);
      const meters = await cli(root, ['meters', '--json']);
      // Assess
      for (const r of [ingest, summary, compact, query, meters])
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      expect(JSON.parse(ingest.stdout)[0]).toMatchObject({ alias: 'demo' });
      expect(JSON.parse(query.stdout)[0].n).toBeGreaterThan(0);
    } finally {
      stop();
      await demo;
    }
    // Act: the stack is down now.
    const down = await cli(root, ['query', 'SELECT 1']);
    // Assess
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/npm start -- --serve/);
  });
});

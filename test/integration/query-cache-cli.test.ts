import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import type { Reading } from '../../functions/core/readings/reading';
import { makeWriteReadings } from '../../functions/use-cases/write-readings';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';

/**
 * `ekm-pipeline query` mirrors the lake into a cache folder: it deletes only what the mirror wrote,
 * and configs on one bucket with different prefixes get different caches (real processes, s3rver).
 */
const ROOT = join(__dirname, '../..');
const T0 = Date.UTC(2026, 10, 25, 10, 30, 0);
let aws: LocalAws;
jest.setTimeout(90_000);

beforeAll(async () => {
  aws = await startLocalAws({ buckets: ['shared-lake'] });
}, 60_000);
afterAll(async () => aws?.close());

const reading = (i: number): Reading => ({
  meter: '000350000900',
  timeMs: T0 + i * 60_000,
  good: true,
  protocol: 'v4',
  source: 'edge',
  via: 'site-1',
  fields: { kWh_Tot: 100 + i },
});

function query(config: string, cacheDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        join(ROOT, 'bin/ekm-pipeline.cjs'),
        'query',
        '--config',
        config,
        '--cache-dir',
        cacheDir,
        '--json',
        'SELECT count(*)::INT AS n FROM realtime',
      ],
      { cwd: ROOT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

function config(dir: string, prefix: string): string {
  const file = join(dir, `${prefix}.yaml`);
  writeFileSync(
    file,
    `version: 1\nkeys:\n  - alias: demo\n    secret: { value: not-a-key }\nlake: { bucket: shared-lake, prefix: "${prefix}/", endpoint: "${aws.s3Endpoint}" }\nstate: { table: unused, endpoint: "${aws.dynamoEndpoint}" }\n`,
  );
  return file;
}

describe('ekm-pipeline query cache', () => {
  it('keeps files it did not write and gives each lake prefix its own cache', async () => {
    // Prepare: two lakes on one bucket (prefixes a/ and b/), and a file of the user's in the cache.
    const store = S3ObjectStore.fromConfig({ bucket: 'shared-lake', endpoint: aws.s3Endpoint });
    const clock = { now: () => T0 + 3_600_000 };
    await makeWriteReadings({ objectStore: store, prefix: 'a/', clock })([0, 1, 2].map(reading), { via: 'site-1' });
    await makeWriteReadings({ objectStore: store, prefix: 'b/', clock })([0, 1, 2, 3, 4, 70].map(reading), {
      via: 'site-1',
    });
    const dir = mkdtempSync(join(tmpdir(), 'ekm-query-cache-'));
    const cache = join(dir, 'cache');
    const a = config(dir, 'a');
    const b = config(dir, 'b');
    const mine = [join(cache, 'shared-lake', 'my-export.parquet'), join(cache, 'shared-lake~a', 'notes.parquet')];
    for (const file of mine) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, 'not written by the mirror');
    }
    // Act
    const firstA = await query(a, cache);
    const firstB = await query(b, cache);
    const againA = await query(a, cache);
    // Assess
    expect([firstA.code, firstB.code, againA.code]).toEqual([0, 0, 0]);
    expect(JSON.parse(firstA.stdout)).toEqual([{ n: 3 }]);
    expect(JSON.parse(firstB.stdout)).toEqual([{ n: 6 }]);
    expect(JSON.parse(againA.stdout)).toEqual([{ n: 3 }]);
    expect(firstA.stderr).toContain(join(cache, 'shared-lake~a'));
    expect(firstB.stderr).toContain(join(cache, 'shared-lake~b'));
    // B's mirror did not prune A's cache: nothing to download or remove the second time.
    expect(againA.stderr).toMatch(/\(0 downloaded, 0 removed\)/);
    expect(firstA.stderr).toMatch(/1 \.parquet file\(s\) .* not written by the mirror/);
    for (const file of mine) expect(existsSync(file)).toBe(true);
  });

  it('still removes what it mirrored once the object left the lake', async () => {
    // Prepare
    const store = S3ObjectStore.fromConfig({ bucket: 'shared-lake', endpoint: aws.s3Endpoint });
    const clock = { now: () => T0 + 3_600_000 };
    const written = await makeWriteReadings({ objectStore: store, prefix: 'c/', clock })([0, 1].map(reading), {
      via: 'site-1',
    });
    const dir = mkdtempSync(join(tmpdir(), 'ekm-query-cache-'));
    const c = config(dir, 'c');
    const first = await query(c, join(dir, 'cache'));
    await store.delete(written.keys);
    // Act
    const after = await query(c, join(dir, 'cache'));
    // Assess
    expect(JSON.parse(first.stdout)).toEqual([{ n: 2 }]);
    expect(after.stderr).toMatch(/\(0 downloaded, 1 removed\)/);
    expect(JSON.parse(after.stdout)).toEqual([{ n: 0 }]);
  });
});

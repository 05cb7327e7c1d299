import { join } from 'node:path';
import { spawnJsonService } from './json-service';

/**
 * The local EKM cloud in its own process (`ekm-pipeline fake-cloud`), so its CPU work does not
 * count against the client being measured. Resolves with its URL once it listens.
 */
export async function startFakeCloudProcess(opts: {
  readonly meters: number;
  readonly latencyMs: number;
}): Promise<{ url: string; stop(): Promise<void> }> {
  const args = [
    'fake-cloud',
    '--port',
    '0',
    '--json',
    '--meters',
    String(opts.meters),
    '--latency',
    String(opts.latencyMs),
  ];
  const service = await spawnJsonService<{ url: string }>('fake-cloud', [
    join(__dirname, '../../bin/ekm-pipeline.cjs'),
    ...args,
  ]);
  return { url: service.ready.url, stop: () => service.stop() };
}

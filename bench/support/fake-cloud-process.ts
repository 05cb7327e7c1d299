import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

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
  const child = spawn(process.execPath, [join(__dirname, '../../bin/ekm-pipeline.cjs'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        // wait for the whole JSON document
      }
    });
    child.once('exit', (code) => reject(new Error(`fake-cloud exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

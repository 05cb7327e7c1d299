import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A socat pseudo-terminal pair: `bus` for the collector, `meter` for the simulated meters. */
export interface PtyPair {
  readonly bus: string;
  readonly meter: string;
  close(): Promise<void>;
}

/**
 * Start `socat pty,raw,echo=0,link=… pty,raw,echo=0,link=…` and wait for both links. Fails with
 * the install command when socat is missing.
 */
export async function openPtyPair(dir = mkdtempSync(join(tmpdir(), 'ekm-bus-'))): Promise<PtyPair> {
  const bus = join(dir, 'bus');
  const meter = join(dir, 'meter');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${bus}`, `pty,raw,echo=0,link=${meter}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // If this process dies without closing the pair (SIGKILL, a crashed test worker), a small
  // watchdog stops socat so no orphan keeps the ptys.
  if (child.pid !== undefined) {
    const watchdog = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; kill ${child.pid} 2>/dev/null`,
      ],
      { stdio: 'ignore', detached: true },
    );
    watchdog.unref();
  }
  let failure: Error | undefined;
  child.on('error', (error) => {
    failure = new Error(`cannot start socat (${error.message}); install it with: apt-get install -y socat`);
  });
  const started = Date.now();
  while (!(existsSync(bus) && existsSync(meter))) {
    if (failure) throw failure;
    if (child.exitCode !== null) throw new Error(`socat exited with code ${child.exitCode}`);
    if (Date.now() - started > 5000) {
      child.kill('SIGKILL');
      throw new Error('socat did not create the pty pair within 5 s');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    bus,
    meter,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

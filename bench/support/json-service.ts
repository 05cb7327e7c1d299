import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * A bench service in its own process that prints one JSON document on stdout once it listens (its
 * URL or endpoints). Resolves with that document and a `stop` that ends the process and waits for it.
 */
export async function spawnJsonService<T>(
  what: string,
  args: readonly string[],
): Promise<{ readonly ready: T; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ready = await new Promise<T>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        // wait for the whole JSON document
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
  return {
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

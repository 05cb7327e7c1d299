import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type S3rver from 's3rver';
import { asError, EkmPipelineError } from '../../functions/core/errors';

/**
 * Local AWS stand-ins for tests and `npm start`: a real S3-compatible server (s3rver, in process)
 * and DynamoDB Local (the jar inside `amplify-dynamodb-simulator`, run with the machine's `java`).
 * Both on free ports of 127.0.0.1 (DynamoDB Local has no bind-address option: it listens on all
 * interfaces of that port; nothing but 127.0.0.1 is ever targeted). Closing (or process exit)
 * kills the java process, so no orphan survives a test run.
 */
export interface LocalAws {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  /** Folder s3rver keeps objects in (`<dir>/<bucket>/<key>._S3rver_object`). */
  readonly s3Dir: string;
  close(): Promise<void>;
}

export interface LocalAwsOptions {
  /** Folder for persistent state (`s3/` and `dynamodb/` inside); default a temp dir. */
  readonly stateDir?: string;
  /** In-memory DynamoDB and a temp S3 folder removed on close (tests). Default: true without stateDir. */
  readonly ephemeral?: boolean;
  /** Buckets to create at start. */
  readonly buckets?: readonly string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new EkmPipelineError('LOCAL_AWS', `DynamoDB Local exited with code ${child.exitCode}`);
    try {
      // Any HTTP answer (DynamoDB Local says 400 to a bare GET) means it is listening.
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new EkmPipelineError('LOCAL_AWS', `DynamoDB Local did not answer on ${url} within ${timeoutMs} ms`);
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/**
 * A package only the local stack uses (a devDependency): loaded on use, so production commands never
 * need it, and a clear message when an install without dev dependencies lacks it.
 */
function localOnly<T>(pkg: string, load: () => T): T {
  try {
    return load();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw cause;
    throw new EkmPipelineError(
      'LOCAL_TOOL_MISSING',
      `the local AWS stand-ins need the development dependency ${pkg}, which is not installed (an install with --omit=dev?); run \`npm ci\` (without --omit=dev) in the ekm-pipeline folder to use the local stack`,
      { cause },
    );
  }
}

/** The DynamoDB Local jar folder inside the installed `amplify-dynamodb-simulator` package. */
export function dynamoLocalDir(): string {
  const manifest = localOnly('amplify-dynamodb-simulator', () =>
    require.resolve('amplify-dynamodb-simulator/package.json'),
  );
  return join(dirname(manifest), 'emulator');
}

async function startDynamoLocal(dbPath: string | undefined): Promise<{ endpoint: string; child: ChildProcess }> {
  const cwd = dynamoLocalDir();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.library.path=./DynamoDBLocal_lib',
      '-jar',
      'DynamoDBLocal.jar',
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
      ...(dbPath ? ['-dbPath', dbPath] : ['-inMemory']),
    ];
    const child = spawn('java', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    killOnExit(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (e) =>
        reject(
          new EkmPipelineError('LOCAL_AWS', `cannot start java for DynamoDB Local (install Java 17): ${e.message}`),
        ),
      ),
    );
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await Promise.race([waitForHttp(endpoint, child, 30_000), spawnError]);
      return { endpoint, child };
    } catch (error) {
      lastError = new EkmPipelineError('LOCAL_AWS', `${asError(error).message}${stderr ? `: ${stderr.trim()}` : ''}`);
      child.kill('SIGKILL');
      if (asError(error).message.includes('install Java')) break;
    }
  }
  throw lastError;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Start s3rver and DynamoDB Local; resolves when both answer. */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const ephemeral = options.ephemeral ?? options.stateDir === undefined;
  const root = options.stateDir ?? mkdtempSync(join(tmpdir(), 'ekm-local-aws-'));
  const s3Dir = join(root, 's3');
  mkdirSync(s3Dir, { recursive: true });
  const dbPath = ephemeral ? undefined : join(root, 'dynamodb');
  if (dbPath) mkdirSync(dbPath, { recursive: true });

  const S3rverServer = localOnly('s3rver', () => require('s3rver') as typeof S3rver);
  const s3 = new S3rverServer({
    address: '127.0.0.1',
    port: 0,
    directory: s3Dir,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const address = (await s3.run()) as { port: number };
  let dynamo: { endpoint: string; child: ChildProcess };
  try {
    dynamo = await startDynamoLocal(dbPath);
  } catch (error) {
    await s3.close();
    throw error;
  }
  let closed = false;
  return {
    s3Endpoint: `http://127.0.0.1:${address.port}`,
    dynamoEndpoint: dynamo.endpoint,
    s3Dir,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([s3.close(), stopChild(dynamo.child)]);
      if (ephemeral && options.stateDir === undefined) rmSync(root, { recursive: true, force: true });
    },
  };
}

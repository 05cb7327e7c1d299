/**
 * The local AWS stand-ins (s3rver + DynamoDB Local, local/aws/local-aws.ts) in their own process, so
 * their CPU and memory do not count against the ingest being measured.
 *
 * As a script, `node --import tsx bench/support/local-aws-process.ts [bucket...]`: starts them with
 * those buckets, prints `{"s3Endpoint": ..., "dynamoEndpoint": ...}` on stdout, then runs until its
 * stdin closes or it gets SIGTERM (its state is a temp folder, removed on close).
 * As a module, {@link startLocalAwsProcess} spawns that script and resolves with the endpoints.
 */
import { startLocalAws } from '../../local/aws/local-aws';
import { spawnJsonService } from './json-service';

export interface LocalAwsEndpoints {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
}

export async function startLocalAwsProcess(opts: {
  readonly buckets: readonly string[];
}): Promise<LocalAwsEndpoints & { stop(): Promise<void> }> {
  const service = await spawnJsonService<LocalAwsEndpoints>('local AWS process', [
    ...process.execArgv,
    __filename,
    ...opts.buckets,
  ]);
  return { ...service.ready, stop: () => service.stop() };
}

async function main(buckets: readonly string[]): Promise<void> {
  const aws = await startLocalAws({ buckets });
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    aws.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', close);
  process.stdin.once('end', close);
  process.stdin.once('close', close);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ s3Endpoint: aws.s3Endpoint, dynamoEndpoint: aws.dynamoEndpoint })}\n`);
}

if (require.main === module)
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });

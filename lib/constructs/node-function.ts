import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeFunctionFindings } from './nag-acknowledgements';
import { LOG_RETENTION } from './secure-defaults';

export interface NodeFunctionProps {
  /** Handler file name under functions/handlers/, without `.ts` (e.g. `ingest-realtime`). */
  readonly handler: string;
  /** @default 512 */
  readonly memorySizeMb?: number;
  /** @default 60 */
  readonly timeoutSeconds?: number;
  readonly environment?: Record<string, string>;
  /**
   * Files to copy next to the bundle (e.g. a `.wasm` that a dependency loads from its own folder),
   * as paths relative to the repository root.
   * @default - none
   */
  readonly assetFiles?: readonly string[];
}

const REPO_ROOT = join(__dirname, '..', '..');

/**
 * The house Lambda: Node 22 on arm64, bundled locally by esbuild from npm (no Docker), source maps,
 * X-Ray, JSON logs with a retained log group. Every handler of the app is one of these.
 */
export class NodeFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    if (!/^[a-z][a-z0-9-]*$/.test(props.handler))
      throw new Error(`handler must be a kebab-case file name, got ${JSON.stringify(props.handler)}`);
    const assetFiles = props.assetFiles ?? [];
    super(scope, id, {
      entry: join(REPO_ROOT, 'functions', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeMb ?? 512,
      timeout: Duration.seconds(props.timeoutSeconds ?? 60),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: new logs.LogGroup(scope, `${id}Logs`, { retention: LOG_RETENTION }),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        // The nodejs22.x runtime ships AWS SDK v3; everything else is bundled.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
        ...(assetFiles.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  assetFiles.map((f) => `cp "${join(inputDir, f)}" "${outputDir}/"`),
              },
            }
          : {}),
      },
    });
    acknowledgeFunctionFindings(this);
  }
}

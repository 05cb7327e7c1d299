import { CfnOutput } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeEdgeApi } from './nag-acknowledgements';
import { LOG_RETENTION } from './secure-defaults';

export interface EdgeIngestApiProps {
  /** The function that authenticates gateways by bearer token and writes their batches. */
  readonly handler: lambda.IFunction;
  /** Sustained requests per second over all gateways. @default 20 */
  readonly throttlingRatePerSecond?: number;
  /** Requests allowed in a burst above the rate. @default 50 */
  readonly throttlingBurst?: number;
}

/** The route gateways post their batches to. */
export const EDGE_BATCHES_PATH = '/v1/edge/batches';

/**
 * The edge ingest HTTP API: `POST /v1/edge/batches` to the edge ingest function, throttled, with
 * JSON access logs, and the stack output `EdgeIngestUrl`.
 *
 * It is an `HttpApi` itself, and it creates its access log group and output beside itself
 * (`<id>AccessLogs`, `EdgeIngestUrl`) rather than inside, so the logical IDs stay those of
 * deployed stacks: a changed ID would replace the log group and drop its logs.
 */
export class EdgeIngestApi extends apigwv2.HttpApi {
  constructor(scope: Construct, id: string, props: EdgeIngestApiProps) {
    super(scope, id, { description: 'ekm-pipeline edge ingest (gateway-token authenticated)' });
    this.addRoutes({
      path: EDGE_BATCHES_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new integrations.HttpLambdaIntegration('EdgeIngestIntegration', props.handler),
    });
    const defaultStage = this.defaultStage?.node.defaultChild as apigwv2.CfnStage | undefined;
    defaultStage?.addPropertyOverride('DefaultRouteSettings', {
      ThrottlingBurstLimit: props.throttlingBurst ?? 50,
      ThrottlingRateLimit: props.throttlingRatePerSecond ?? 20,
    });
    const accessLogs = new logs.LogGroup(scope, `${id}AccessLogs`, { retention: LOG_RETENTION });
    if (defaultStage)
      defaultStage.accessLogSettings = {
        destinationArn: accessLogs.logGroupArn,
        format: JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          routeKey: '$context.routeKey',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
        }),
      };
    acknowledgeEdgeApi(this);
    new CfnOutput(scope, 'EdgeIngestUrl', { value: `${this.apiEndpoint}${EDGE_BATCHES_PATH}` });
  }
}

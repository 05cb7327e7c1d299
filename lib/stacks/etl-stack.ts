import { posix } from 'node:path';
import { Duration, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ENV } from '../../functions/config/env-names';
import { CLOSE_METRICS } from '../../functions/core/billing/close-metrics';
import { DRIFT_METRIC } from '../../functions/core/triggers/drift-metrics';
import type { StageConfig } from '../config/stage-config';
import { EdgeIngestApi } from '../constructs/edge-ingest-api';
import { IngestFanOut } from '../constructs/ingest-fan-out';
import { NodeFunction } from '../constructs/node-function';
import { NotifyingAlarm } from '../constructs/notifying-alarm';
import { ScheduledFunction } from '../constructs/scheduled-function';

export interface EtlStackProps extends StackProps {
  readonly stage: StageConfig;
  readonly lakeBucket: s3.IBucket;
  readonly stateTable: dynamodb.ITableV2;
  readonly alarmTopic: sns.ITopic;
  /** Files the lake writer needs next to each bundle (e.g. a .wasm). @default - none */
  readonly writerAssetFiles?: readonly string[];
}

/** Namespace/metric of the drift count the trigger-drift handler emits (Embedded Metric Format). */
export { DRIFT_METRIC };

/**
 * The stateless half: scheduled ingest (realtime fanned out per key over SQS, summary), daily compaction, the trigger drift
 * check and the edge ingest HTTP API. Every function is wired the same way: env names from
 * functions/config/env-names.ts, permissions through grant* only.
 */
export class EtlStack extends Stack {
  readonly edgeApi?: apigwv2.HttpApi;

  constructor(scope: Construct, id: string, props: EtlStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const secretIds = new Map<string, secretsmanager.ISecret>();
    const secret = (name: string) => {
      let s = secretIds.get(name);
      if (!s) {
        s = secretsmanager.Secret.fromSecretNameV2(this, `Secret${secretIds.size}`, name);
        secretIds.set(name, s);
      }
      return s;
    };
    const ekmEnv: Record<string, string> = {
      [ENV.EKM_KEYS_JSON]: JSON.stringify(
        stage.keys.map((k) => ({
          alias: k.alias,
          secret: k.secret,
          ...(k.token ? { token: k.token } : {}),
          ...(k.timezone ? { timezone: k.timezone } : {}),
          ...(k.realtimeShards && k.realtimeShards > 1 ? { realtimeShards: k.realtimeShards } : {}),
        })),
      ),
      ...(stage.ekmUrls?.realtime ? { [ENV.EKM_REALTIME_URL]: stage.ekmUrls.realtime } : {}),
      ...(stage.ekmUrls?.summary ? { [ENV.EKM_SUMMARY_URL]: stage.ekmUrls.summary } : {}),
      ...(stage.ekmUrls?.account ? { [ENV.EKM_ACCOUNT_URL]: stage.ekmUrls.account } : {}),
      ...(stage.ekmUrls?.trigger ? { [ENV.EKM_TRIGGER_URL]: stage.ekmUrls.trigger } : {}),
    };
    const lakeEnv = { [ENV.LAKE_BUCKET]: props.lakeBucket.bucketName, [ENV.STATE_TABLE]: props.stateTable.tableName };
    const assetFiles = props.writerAssetFiles ?? [];

    /** Env and grants together, so a function never has one without the other (powertools' bindTable idea). */
    const bindLake = (fn: lambda.IFunction, access: 'read' | 'readWrite') => {
      if (access === 'read') props.lakeBucket.grantRead(fn);
      else props.lakeBucket.grantReadWrite(fn);
      props.stateTable.grantReadWriteData(fn);
    };
    const bindKeys = (fn: lambda.IFunction, withTokens: boolean) => {
      for (const k of stage.keys) {
        secret(k.secret.secretsManager).grantRead(fn);
        if (withTokens && k.token) secret(k.token.secretsManager).grantRead(fn);
      }
    };

    const scheduled = (
      id: string,
      handler: string,
      everyMinutes: number,
      timeoutSeconds: number,
      memorySizeMb: number,
    ) => {
      const job = new ScheduledFunction(this, id, {
        handler,
        everyMinutes,
        timeoutSeconds,
        memorySizeMb,
        alarmTopic: props.alarmTopic,
        environment: { ...ekmEnv, ...lakeEnv },
        assetFiles,
      });
      bindLake(job.function, 'readWrite');
      return job;
    };

    // Realtime ingest fans out per key: schedule → queue (one message per alias) → worker.
    const realtime = new IngestFanOut(this, 'IngestRealtime', {
      everyMinutes: stage.realtimeEveryMinutes,
      alarmTopic: props.alarmTopic,
      keysEnvironment: { [ENV.EKM_KEYS_JSON]: ekmEnv[ENV.EKM_KEYS_JSON] as string },
      workerEnvironment: { ...ekmEnv, ...lakeEnv },
      workerTimeoutSeconds: 600,
      assetFiles,
    });
    bindLake(realtime.worker, 'readWrite');
    bindKeys(realtime.worker, false);
    const summary = scheduled('IngestSummary', 'ingest-summary', stage.summaryEveryMinutes, 900, 1536);
    bindKeys(summary.function, false);
    // Compaction holds one day and shard on typed columns: 1.8–2.5 KB a distinct row at peak in the
    // README's compaction benchmark (720,000 rows: 1,522 MB). 4096 MB holds about 2 million rows, a day
    // of some 1,400 meters reading every minute per shard; it runs minutes a day, so memory is cheap here.
    scheduled('CompactLake', 'compact-lake', 24 * 60, 900, 4096);

    if (stage.triggersFileKey) {
      const drift = new ScheduledFunction(this, 'TriggerDrift', {
        handler: 'trigger-drift',
        everyMinutes: stage.driftEveryMinutes,
        timeoutSeconds: 300,
        alarmTopic: props.alarmTopic,
        environment: {
          ...ekmEnv,
          [ENV.STATE_TABLE]: props.stateTable.tableName,
          [ENV.TRIGGERS_FILE_URI]: `s3://${props.lakeBucket.bucketName}/${stage.triggersFileKey}`,
          [ENV.DRIFT_AUTO_APPLY_GATEWAYS]: stage.driftAutoApplyGateways.join(','),
        },
      });
      props.lakeBucket.grantRead(drift.function, stage.triggersFileKey);
      props.stateTable.grantReadWriteData(drift.function);
      bindKeys(drift.function, true);
      new NotifyingAlarm(this, 'TriggerDriftAlarm', {
        alarmDescription: 'Gateway triggers differ from the desired trigger file (run `ekm-pipeline triggers plan`)',
        metric: new cloudwatch.Metric({
          ...DRIFT_METRIC,
          statistic: 'Maximum',
          period: Duration.minutes(stage.driftEveryMinutes),
        }),
        alarmTopic: props.alarmTopic,
      });
    }

    if (stage.billing) {
      const billing = stage.billing;
      // The close runs on the cut-off day plus the grace hours, at that hour in each zone (Scheduler
      // keeps the zone's DST), and closes the month before (functions/use-cases/scheduled-close.ts).
      const day = billing.cutoffDay + Math.floor(billing.graceHours / 24);
      const hour = billing.graceHours % 24;
      const close = new ScheduledFunction(this, 'CloseBilling', {
        handler: 'close-billing',
        everyMinutes: 24 * 60,
        timeoutSeconds: 900,
        memorySizeMb: 2048,
        alarmTopic: props.alarmTopic,
        environment: { ...lakeEnv, [ENV.BILLING_FILE_KEY]: billing.fileKey },
        assetFiles,
        calendar: billing.timezones.map((zone) => ({
          id: `Close${zone.replace(/[^A-Za-z0-9]/g, '')}`,
          expression: scheduler.ScheduleExpression.cron({
            minute: '0',
            hour: String(hour),
            day: String(day),
            month: '*',
            year: '*',
            timeZone: TimeZone.of(zone),
          }),
          description: `ekm-pipeline close-billing: the previous month of properties in ${zone}, day ${day} ${hour}:00 local`,
          input: { timezone: zone },
        })),
      });
      // Least privilege: the billing file's folder (URDB records are relative to it), the intervals
      // dataset it bills from, and writes under invoices/ only.
      const folder = posix.dirname(billing.fileKey);
      props.lakeBucket.grantRead(close.function, folder === '.' ? billing.fileKey : `${folder}/*`);
      props.lakeBucket.grantRead(close.function, 'dataset=intervals/*');
      props.lakeBucket.grantPut(close.function, 'invoices/*');
      props.stateTable.grantReadWriteData(close.function);
      new NotifyingAlarm(this, 'BillingEstimatedShareAlarm', {
        alarmDescription: `A monthly close estimated more than ${billing.estimatedShareAlarm * 100}% of a property's kWh (gaps in the meters' data; see the invoices' estimated days)`,
        metric: new cloudwatch.Metric({
          namespace: CLOSE_METRICS.namespace,
          metricName: CLOSE_METRICS.estimatedShareMax,
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold: billing.estimatedShareAlarm,
        comparison: 'above',
        alarmTopic: props.alarmTopic,
      });
    }

    if (stage.edgeGateways.length > 0) {
      const edgeFn = new NodeFunction(this, 'EdgeIngest', {
        handler: 'edge-ingest',
        timeoutSeconds: 29,
        memorySizeMb: 1024,
        assetFiles,
        environment: {
          ...lakeEnv,
          [ENV.EDGE_GATEWAYS_JSON]: JSON.stringify(
            stage.edgeGateways.map((g) => ({ id: g.id, token: g.token, meters: g.meters })),
          ),
        },
      });
      bindLake(edgeFn, 'readWrite');
      for (const g of stage.edgeGateways) secret(g.token.secretsManager).grantRead(edgeFn);
      this.edgeApi = new EdgeIngestApi(this, 'EdgeApi', { handler: edgeFn });
    }
  }
}

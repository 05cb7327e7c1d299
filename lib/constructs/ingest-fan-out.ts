import { Duration } from 'aws-cdk-lib';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../functions/config/env-names';
import { acknowledgeDeadLetterQueue } from './nag-acknowledgements';
import { NodeFunction } from './node-function';
import { NotifyingAlarm } from './notifying-alarm';
import { ScheduledFunction } from './scheduled-function';

export interface IngestFanOutProps {
  /** How often the schedule enqueues one message per key alias. */
  readonly everyMinutes: number;
  /** Alarms (enqueue and worker errors, dead letters) notify this topic. */
  readonly alarmTopic: sns.ITopic;
  /** EKM_KEYS_JSON: the aliases the enqueue step reads (it never reads a secret). */
  readonly keysEnvironment: Record<string, string>;
  /** The worker's environment (keys, EKM URLs, lake and state table). */
  readonly workerEnvironment: Record<string, string>;
  /** @default 600 */
  readonly workerTimeoutSeconds?: number;
  /**
   * The worker's memory: 80% of it is the chunk budget, shared by the units a delivery may run at once
   * (functions/config/lake-config.ts, handlers/ingest-realtime-worker.ts).
   * @default 1024 (README, lake benchmark: a 10,000-meter key in steady state peaked at about 250 MB with
   * a 512 MB budget, a 200-meter backfill of whole rings at about 510 MB; 1024 MB keeps both within the
   * function with headroom and gives a run about 0.6 vCPU, for 6–7 CPU seconds per 10,000 meters)
   */
  readonly workerMemorySizeMb?: number;
  /** Files the lake writer needs next to the worker's bundle. @default - none */
  readonly assetFiles?: readonly string[];
  /**
   * Messages (key aliases, or parts of a split key) per worker invocation; they run one after another.
   * @default 1 (a slow account never delays another's message)
   */
  readonly batchSize?: number;
  /** Worker invocations at once across the queue (SQS event sources allow 2 to 1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Receives of a failing message before it moves to the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
}

/**
 * Scheduled realtime ingest, fanned out per EKM key: a schedule runs the enqueue Lambda, which puts
 * one message per key alias on an SQS queue; the worker Lambda ingests each message on its own and
 * reports failed ones (partial batch response), so only those are retried. A message that failed
 * `maxReceiveCount` times moves to the dead-letter queue, whose alarm notifies the alarm topic;
 * redrive it with `aws sqs start-message-move-task` once the key is fixed.
 */
export class IngestFanOut extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly enqueue: ScheduledFunction;
  readonly worker: NodeFunction;

  constructor(scope: Construct, id: string, props: IngestFanOutProps) {
    super(scope, id);
    const timeoutSeconds = props.workerTimeoutSeconds ?? 600;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    acknowledgeDeadLetterQueue(this.deadLetterQueue);
    this.queue = new sqs.Queue(this, 'Queue', {
      // A Lambda event source's queue: six times the function's timeout, so a message is not
      // delivered again while a worker is still on it (nor while Lambda retries a throttled batch).
      visibilityTimeout: Duration.seconds(6 * timeoutSeconds),
      // A message older than a day is a schedule long since repeated; the dead-letter queue keeps
      // failed ones longer (SQS counts their age from the first enqueue).
      retentionPeriod: Duration.days(1),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 3 },
    });

    this.worker = new NodeFunction(this, 'Worker', {
      handler: 'ingest-realtime-worker',
      timeoutSeconds,
      memorySizeMb: props.workerMemorySizeMb ?? 1024,
      environment: props.workerEnvironment,
      ...(props.assetFiles ? { assetFiles: props.assetFiles } : {}),
    });
    this.worker.addEventSource(
      new lambdaEvents.SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );

    this.enqueue = new ScheduledFunction(this, 'Enqueue', {
      handler: 'enqueue-realtime-ingest',
      everyMinutes: props.everyMinutes,
      timeoutSeconds: 60,
      memorySizeMb: 256,
      alarmTopic: props.alarmTopic,
      environment: { ...props.keysEnvironment, [ENV.INGEST_QUEUE_URL]: this.queue.queueUrl },
    });
    // Least privilege: the enqueue step may only send to this queue (no secrets, no lake).
    this.queue.grantSendMessages(this.enqueue.function);

    new NotifyingAlarm(this, 'WorkerErrorsAlarm', {
      alarmDescription: 'ingest-realtime-worker failed as a whole (timeout or crash); its messages are retried',
      metric: this.worker.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      alarmTopic: props.alarmTopic,
    });
    new NotifyingAlarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'Realtime ingest of a key failed on every retry; its message is in the dead-letter queue (fix the key, then redrive with `aws sqs start-message-move-task`)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      comparison: 'above',
      threshold: 0,
      alarmTopic: props.alarmTopic,
    });
  }
}

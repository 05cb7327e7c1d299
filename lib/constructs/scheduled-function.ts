import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeDeadLetterQueue, acknowledgeSchedulerRole } from './nag-acknowledgements';
import { NodeFunction, type NodeFunctionProps } from './node-function';
import { NotifyingAlarm } from './notifying-alarm';

export interface ScheduledFunctionProps extends NodeFunctionProps {
  /** How often EventBridge Scheduler invokes the function. */
  readonly everyMinutes: number;
  /** Alarms (errors, dead letters) notify this topic. */
  readonly alarmTopic: sns.ITopic;
  /** Event passed to the handler. @default - Scheduler's default (empty) */
  readonly input?: Record<string, unknown>;
  /** Async retries after a failed run; safe because every job is idempotent. @default 2 */
  readonly retryAttempts?: number;
  /**
   * Calendar schedules instead of the `everyMinutes` rate (e.g. one cron per time zone, each with
   * its own input). @default - one rate schedule every `everyMinutes`
   */
  readonly calendar?: readonly {
    /** Stable PascalCase id of the schedule construct. */
    readonly id: string;
    readonly expression: scheduler.ScheduleExpression;
    readonly description: string;
    readonly input?: Record<string, unknown>;
  }[];
}

/**
 * A Lambda on an EventBridge Scheduler rate, with a dead-letter queue for runs that failed after
 * their retries (and for schedules that could not invoke), and alarms on both errors and dead letters.
 */
export class ScheduledFunction extends Construct {
  readonly function: NodeFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: scheduler.Schedule;
  /** Every schedule (the rate one, or one per `calendar` entry). */
  readonly schedules: readonly scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    if (!Number.isInteger(props.everyMinutes) || props.everyMinutes < 1) {
      throw new Error(`everyMinutes must be a whole number >= 1, got ${JSON.stringify(props.everyMinutes)}`);
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    acknowledgeDeadLetterQueue(this.deadLetterQueue);
    this.function = new NodeFunction(this, 'Function', props);
    this.function.configureAsyncInvoke({
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    // One invoke role per schedule (not the stack-wide shared one), so its permissions stay reviewable.
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    acknowledgeSchedulerRole(role, Stack.of(this).resolve((this.function.node.defaultChild as CfnElement).logicalId));
    const target = (input: Record<string, unknown> | undefined) =>
      new targets.LambdaInvoke(this.function, {
        role,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        ...(input ? { input: scheduler.ScheduleTargetInput.fromObject(input) } : {}),
      });
    this.schedules = props.calendar?.length
      ? props.calendar.map(
          (c) =>
            new scheduler.Schedule(this, c.id, {
              schedule: c.expression,
              description: c.description,
              target: target(c.input ?? props.input),
            }),
        )
      : [
          new scheduler.Schedule(this, 'Schedule', {
            schedule: scheduler.ScheduleExpression.rate(Duration.minutes(props.everyMinutes)),
            description: `ekm-pipeline ${props.handler} every ${props.everyMinutes} min`,
            target: target(props.input),
          }),
        ];
    this.schedule = this.schedules[0] as scheduler.Schedule;
    new NotifyingAlarm(this, 'ErrorsAlarm', {
      alarmDescription: `${props.handler} failed`,
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      alarmTopic: props.alarmTopic,
    });
    new NotifyingAlarm(this, 'DeadLettersAlarm', {
      alarmDescription: `${props.handler} runs ended in the dead-letter queue`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      alarmTopic: props.alarmTopic,
    });
  }
}

import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface NotifyingAlarmProps {
  /** What the alarm watches, with its statistic and period. */
  readonly metric: cloudwatch.IMetric;
  /** Says what went wrong and, where there is one, what to run. */
  readonly alarmDescription: string;
  /** The topic the alarm notifies when it fires. */
  readonly alarmTopic: sns.ITopic;
  /** @default 1 */
  readonly threshold?: number;
  /**
   * `atLeast`: fires when one period's value reaches the threshold; `above`: only when it exceeds it.
   * @default 'atLeast'
   */
  readonly comparison?: 'atLeast' | 'above';
}

/**
 * The pipeline's one alarm shape: one evaluation period, missing data is not breaching (a job that
 * did not run has its own errors and dead-letter alarms), and the alarm notifies the stage's alarm
 * topic. It is a `cloudwatch.Alarm` itself, so its construct ID (and the logical ID of the resource)
 * is the one the caller gives.
 */
export class NotifyingAlarm extends cloudwatch.Alarm {
  constructor(scope: Construct, id: string, props: NotifyingAlarmProps) {
    super(scope, id, {
      alarmDescription: props.alarmDescription,
      metric: props.metric,
      threshold: props.threshold ?? 1,
      evaluationPeriods: 1,
      comparisonOperator:
        props.comparison === 'above'
          ? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
          : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.addAlarmAction(new actions.SnsAction(props.alarmTopic));
  }
}

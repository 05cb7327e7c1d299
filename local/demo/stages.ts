import { billingCloseStage } from './billing-close-stage';
import { billingStage } from './billing-stage';
import { cloudStage } from './cloud-stage';
import type { DemoStage } from './demo-context';
import { edgeStage } from './edge-stage';
import { lakeStage } from './lake-stage';
import { driftScheduleStage, summaryScheduleStage } from './serve-schedules';
import { triggersStage } from './triggers-stage';

/**
 * `npm start` runs these in order. Each capability adds its stage here (one line), in data-flow
 * order: local stack → EKM cloud → lake → triggers → edge → billing.
 */
export const demoStages: DemoStage[] = [
  cloudStage,
  lakeStage,
  triggersStage,
  edgeStage,
  billingStage,
  billingCloseStage,
  summaryScheduleStage,
  driftScheduleStage,
];

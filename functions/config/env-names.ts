/**
 * Environment variable names shared by the Lambda handlers (functions/config/env.ts reads them)
 * and the CDK app (lib/ sets them), so the two can never drift apart.
 */
export const ENV = {
  /** JSON array, the project file's `keys` shape with Secrets Manager refs: [{ "alias": "demo", "secret": { "secretsManager": "<name or ARN>" }, "token"?: { "secretsManager": "<name or ARN>" }, "timezone"?: "America/New_York", "realtimeShards"?: 4 }] */
  EKM_KEYS_JSON: 'EKM_KEYS_JSON',
  EKM_REALTIME_URL: 'EKM_REALTIME_URL',
  EKM_SUMMARY_URL: 'EKM_SUMMARY_URL',
  EKM_ACCOUNT_URL: 'EKM_ACCOUNT_URL',
  EKM_TRIGGER_URL: 'EKM_TRIGGER_URL',
  LAKE_BUCKET: 'LAKE_BUCKET',
  LAKE_PREFIX: 'LAKE_PREFIX',
  STATE_TABLE: 'STATE_TABLE',
  /** s3://bucket/key of the desired trigger file the drift check compares against. */
  TRIGGERS_FILE_URI: 'TRIGGERS_FILE_URI',
  /** Comma-separated gateway macs whose drift is applied automatically. */
  DRIFT_AUTO_APPLY_GATEWAYS: 'DRIFT_AUTO_APPLY_GATEWAYS',
  /** JSON array, the project file's `edge.gateways` shape: [{ "id": "site-1", "token": { "secretsManager": "<name or ARN>" }, "meters": ["000350000900"] }] */
  EDGE_GATEWAYS_JSON: 'EDGE_GATEWAYS_JSON',
  /** Object key in LAKE_BUCKET of the billing file the monthly close reads (URDB records relative to it). */
  BILLING_FILE_KEY: 'BILLING_FILE_KEY',
  /** URL of the SQS queue the realtime schedule puts one message per key alias on (the worker consumes it). */
  INGEST_QUEUE_URL: 'INGEST_QUEUE_URL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

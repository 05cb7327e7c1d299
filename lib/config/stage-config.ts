/**
 * What one deployment (a "stage") of ekm-pipeline needs to know. Read from CDK context
 * (`cdk.json` → `ekm-pipeline`, or `-c ekm-pipeline='{"stageName":"prod",...}'`), validated at synth
 * with messages that quote the bad value, and passed to the stacks as typed props.
 * Secrets are written as in the project file, `{ secretsManager: "name-or-arn" }` (the only kind
 * a Lambda can read); their values never pass through CDK.
 */
import { type AwsGatewayConfig, type AwsKeyConfig, awsSecretRefProblem } from '../../functions/config/aws-secret-ref';
import { checkGatewaySet } from '../../functions/core/edge/gateway-set';
import { isValidTimeZone } from '../../functions/core/ekm/ekm-time';
import { asError } from '../../functions/core/errors';
import { REALTIME_SHARD_COUNTS } from '../../functions/core/leases';

/** A key: the project file's `keys[]` shape, secrets in Secrets Manager (functions/config/aws-secret-ref.ts). */
export type StageKeyConfig = AwsKeyConfig;

/** An edge gateway: the project file's `edge.gateways[]` shape, token in Secrets Manager. */
export type StageEdgeGateway = AwsGatewayConfig;

/** The scheduled monthly close (functions/handlers/close-billing.ts). */
export interface StageBilling {
  /** Object key in the lake bucket of the billing file; URDB records are read relative to it. */
  readonly fileKey: string;
  /** IANA zones of the billing file's properties: one schedule each, in that zone. */
  readonly timezones: readonly string[];
  /** Day of month (1-28) the previous month is closed on, in each property's zone. @default 1 */
  readonly cutoffDay: number;
  /** Hours after the cut-off day's midnight to wait for late reads. @default 48 */
  readonly graceHours: number;
  /** Alarm when a close estimated more than this share (0-1) of a property's kWh. @default 0.1 */
  readonly estimatedShareAlarm: number;
}

export interface StageConfig {
  readonly stageName: string;
  readonly keys: readonly StageKeyConfig[];
  /** Override EKM's API base URLs (e.g. a test double). @default - EKM's public hosts */
  readonly ekmUrls?: {
    readonly realtime?: string;
    readonly summary?: string;
    readonly account?: string;
    readonly trigger?: string;
  };
  /** Realtime ingest period. EKM keeps 1000 reads per meter (~16 h), so this must stay well below that. @default 10 */
  readonly realtimeEveryMinutes: number;
  /** Summary ingest period. @default 60 */
  readonly summaryEveryMinutes: number;
  /** Trigger drift check period (only deployed when triggersFileKey is set). @default 60 */
  readonly driftEveryMinutes: number;
  /** Object key in the lake bucket of the desired trigger file. @default - no drift check */
  readonly triggersFileKey?: string;
  readonly driftAutoApplyGateways: readonly string[];
  readonly edgeGateways: readonly StageEdgeGateway[];
  /** Email subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** The scheduled monthly close. @default - no close-billing function */
  readonly billing?: StageBilling;
}

const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/;

function fail(message: string): never {
  throw new Error(`invalid stage config: ${message}`);
}

function positiveMinutes(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    fail(`${name} must be a whole number of minutes from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseBilling(value: unknown): StageBilling | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) fail(`billing must be an object, got ${JSON.stringify(value)}`);
  const b = value as Record<string, unknown>;
  if (typeof b.fileKey !== 'string' || b.fileKey === '' || b.fileKey.startsWith('/'))
    fail(
      `billing.fileKey must be the billing file's key in the lake bucket (no leading /), got ${JSON.stringify(b.fileKey)}`,
    );
  const zones = b.timezones;
  if (!Array.isArray(zones) || zones.length === 0)
    fail(`billing.timezones must list the properties' IANA zones, got ${JSON.stringify(zones)}`);
  for (const [i, z] of zones.entries())
    if (typeof z !== 'string' || !isValidTimeZone(z))
      fail(`billing.timezones[${i}] must be an IANA time zone such as America/New_York, got ${JSON.stringify(z)}`);
  if (new Set(zones).size !== zones.length) fail(`billing.timezones lists a zone twice: ${JSON.stringify(zones)}`);
  const cutoffDay = b.cutoffDay ?? 1;
  if (typeof cutoffDay !== 'number' || !Number.isInteger(cutoffDay) || cutoffDay < 1 || cutoffDay > 28)
    fail(`billing.cutoffDay must be a day of month from 1 to 28, got ${JSON.stringify(cutoffDay)}`);
  const graceHours = b.graceHours ?? 48;
  if (typeof graceHours !== 'number' || !Number.isInteger(graceHours) || graceHours < 0 || graceHours > 24 * 7)
    fail(`billing.graceHours must be a whole number of hours from 0 to 168, got ${JSON.stringify(graceHours)}`);
  if (cutoffDay + Math.floor(graceHours / 24) > 28)
    fail(
      `billing.cutoffDay plus billing.graceHours must stay within day 28 (every month has it), got day ${cutoffDay} + ${graceHours} h`,
    );
  const share = b.estimatedShareAlarm ?? 0.1;
  if (typeof share !== 'number' || !(share > 0 && share <= 1))
    fail(`billing.estimatedShareAlarm must be a share above 0 and at most 1, got ${JSON.stringify(share)}`);
  return { fileKey: b.fileKey, timezones: zones as string[], cutoffDay, graceHours, estimatedShareAlarm: share };
}

/** Validate raw context (an object, or a JSON string as `-c ekm-pipeline='{...}'` passes it) into a StageConfig. */
export function parseStageConfig(context: unknown): StageConfig {
  let raw = context;
  if (typeof context === 'string') {
    try {
      raw = JSON.parse(context);
    } catch (cause) {
      fail(
        `context ekm-pipeline is not valid JSON (${asError(cause).message}), got ${JSON.stringify(context.slice(0, 80))}`,
      );
    }
  }
  if (typeof raw !== 'object' || raw === null) fail(`expected an object, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  const stageName = r.stageName ?? 'dev';
  if (typeof stageName !== 'string' || !/^[a-z][a-z0-9-]{0,20}$/.test(stageName))
    fail(`stageName must match [a-z][a-z0-9-]{0,20}, got ${JSON.stringify(stageName)}`);
  const keys = r.keys ?? [];
  if (!Array.isArray(keys)) fail(`keys must be a list, got ${JSON.stringify(keys)}`);
  const seen = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (typeof k !== 'object' || k === null || Array.isArray(k))
      fail(`keys[${i}] must be an object {alias, secret: { secretsManager: "..." }}, got ${JSON.stringify(k)}`);
    const key = k as Partial<StageKeyConfig> & Record<string, unknown>;
    if (typeof key.alias !== 'string' || !ALIAS.test(key.alias))
      fail(`keys[${i}].alias must match ${ALIAS}, got ${JSON.stringify(key.alias)}`);
    if (seen.has(key.alias)) fail(`keys[${i}].alias ${JSON.stringify(key.alias)} is used twice`);
    seen.add(key.alias);
    if (key.timezone !== undefined && (typeof key.timezone !== 'string' || !isValidTimeZone(key.timezone)))
      fail(
        `keys[${i}].timezone must be an IANA time zone such as America/New_York, got ${JSON.stringify(key.timezone)}`,
      );
    if (key.realtimeShards !== undefined && !REALTIME_SHARD_COUNTS.includes(key.realtimeShards))
      fail(
        `keys[${i}].realtimeShards must be one of ${REALTIME_SHARD_COUNTS.join(', ')}, got ${JSON.stringify(key.realtimeShards)}`,
      );
    const keyProblem =
      awsSecretRefProblem(key, 'secret', `keys[${i}]`, true) ?? awsSecretRefProblem(key, 'token', `keys[${i}]`, false);
    if (keyProblem) fail(keyProblem);
  }
  const edgeGateways = (r.edgeGateways ?? []) as StageEdgeGateway[];
  if (!Array.isArray(edgeGateways)) fail(`edgeGateways must be a list, got ${JSON.stringify(edgeGateways)}`);
  for (const [i, g] of edgeGateways.entries()) {
    if (typeof g !== 'object' || g === null || Array.isArray(g))
      fail(
        `edgeGateways[${i}] must be an object {id, token: { secretsManager: "..." }, meters}, got ${JSON.stringify(g)}`,
      );
    if (!ALIAS.test(String(g.id))) fail(`edgeGateways[${i}].id must match ${ALIAS}, got ${JSON.stringify(g.id)}`);
    if (!Array.isArray(g.meters) || g.meters.some((m) => !/^\d{12}$/.test(String(m))))
      fail(`edgeGateways[${i}].meters must be 12-digit meter ids, got ${JSON.stringify(g.meters)}`);
    const tokenProblem = awsSecretRefProblem(
      g as unknown as Record<string, unknown>,
      'token',
      `edgeGateways[${i}]`,
      true,
    );
    if (tokenProblem) fail(tokenProblem);
  }
  // The same safety rules as the project config's edge.gateways (functions/core/edge/gateway-set.ts).
  const gatewayIssues = checkGatewaySet(edgeGateways.map((g) => ({ id: g.id, token: g.token, meters: g.meters })));
  const stagePath = (text: string) =>
    text.replace(
      /\/edge\/gateways\/(\d+)\/(\w+)(?:\/(\d+))?/g,
      (_all, i: string, field: string, j?: string) => `edgeGateways[${i}].${field}${j === undefined ? '' : `[${j}]`}`,
    );
  if (gatewayIssues[0]) fail(stagePath(`${gatewayIssues[0].path}: ${gatewayIssues[0].message}`));
  const realtimeEveryMinutes = positiveMinutes(r.realtimeEveryMinutes, 'realtimeEveryMinutes', 10, 600);
  return {
    stageName,
    keys: keys as StageKeyConfig[],
    ...(r.ekmUrls ? { ekmUrls: r.ekmUrls as StageConfig['ekmUrls'] } : {}),
    realtimeEveryMinutes,
    summaryEveryMinutes: positiveMinutes(r.summaryEveryMinutes, 'summaryEveryMinutes', 60, 1440),
    driftEveryMinutes: positiveMinutes(r.driftEveryMinutes, 'driftEveryMinutes', 60, 1440),
    ...(typeof r.triggersFileKey === 'string' ? { triggersFileKey: r.triggersFileKey } : {}),
    driftAutoApplyGateways: (r.driftAutoApplyGateways ?? []) as string[],
    edgeGateways,
    ...(typeof r.alarmEmail === 'string' ? { alarmEmail: r.alarmEmail } : {}),
    ...(r.billing !== undefined ? { billing: parseBilling(r.billing) as StageBilling } : {}),
  };
}

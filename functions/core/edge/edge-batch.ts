/**
 * Edge ingest, the pure part: who is calling (gateway token → gateway), and whether a batch of
 * readings from an edge collector may enter the lake. Every record is checked: schema, size
 * limits, plausible timestamps, and that the gateway writes only its own meters. A batch is
 * accepted or refused as a whole, so the collector's spool never half-delivers a batch.
 *
 * Wire format (what `ekm-edge` POSTs, edge-collector/src/uplink/http-uplink.ts):
 * `Authorization: Bearer <gateway token>`, `Idempotency-Key: <batchId>`, body
 * `{ "gateway": "site-1", "batchId": "site-1-000000000001-000000000500", "readings": [Reading, ...] }`.
 */
import { FIELD_CATALOG } from '../ekm/field-catalog';
import { ekmFieldOf, READING_COLUMNS, READING_META_COLUMNS } from '../parquet/lake-schema';
import { readingToRow } from '../parquet/rows';
import { isMeterId } from '../readings/meter-id';
import { type FieldValue, isMeterProtocol, type Reading } from '../readings/reading';
import { suggestFields } from '../triggers/fields';

/** A gateway allowed to post batches (token already resolved; never logged). */
export interface EdgeGateway {
  readonly id: string;
  readonly token: string;
  readonly meters: readonly string[];
}

/** Limits on what one request may carry. */
export const EDGE_LIMITS = {
  /** Request body, bytes (API Gateway's payload limit is 10 MB; ours is far below). */
  maxBodyBytes: 2 * 1024 * 1024,
  maxReadings: 1000,
  maxFieldsPerReading: 200,
  maxStringLength: 64,
  /** A reading may be this old: a collector can be offline for months and still deliver. */
  maxAgeMs: 400 * 24 * 3600 * 1000,
  /** And at most this far in the future (clock skew). */
  maxFutureMs: 5 * 60 * 1000,
  /** Issues reported per refused batch. */
  maxIssues: 20,
} as const;

export interface EdgeBatch {
  readonly gateway: string;
  readonly batchId: string;
  readonly readings: readonly Reading[];
}

export interface EdgeIssue {
  /** Where in the body (`readings[3].meter`) or which header. */
  readonly path: string;
  readonly message: string;
}

/** An HTTP-shaped refusal: status, a stable code, and the issues. Never carries a token. */
export interface EdgeRefusal {
  readonly status: 400 | 401 | 403 | 409 | 413;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly EdgeIssue[];
}

const BATCH_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const READING_KEYS = new Set(['meter', 'timeMs', 'good', 'protocol', 'source', 'via', 'fields']);
/** Field names an edge reading may carry: EKM's catalog and the lake's reading columns (EKM spelling). */
const EDGE_FIELDS: ReadonlySet<string> = new Set([
  ...FIELD_CATALOG.map((f) => f.name),
  ...READING_COLUMNS.filter((c) => !READING_META_COLUMNS.includes(c) && c.name !== 'extra').map((c) =>
    ekmFieldOf(c.name),
  ),
]);

/** Compare two strings in time independent of where they differ (token check). */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return diff === 0;
}

/** The gateway whose token is in `Authorization: Bearer <token>`, or a 401 refusal. */
export function authenticateGateway(
  authorization: string | undefined,
  gateways: readonly EdgeGateway[],
): EdgeGateway | EdgeRefusal {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) {
    return { status: 401, code: 'UNAUTHENTICATED', message: 'missing "Authorization: Bearer <gateway token>" header' };
  }
  const token = match[1];
  let found: EdgeGateway | undefined;
  // Check every gateway (no early exit) so timing does not reveal which tokens exist.
  for (const gateway of gateways) if (constantTimeEqual(gateway.token, token)) found = gateway;
  return found ?? { status: 401, code: 'UNAUTHENTICATED', message: 'unknown gateway token' };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Validate a parsed body for the authenticated gateway. Returns the batch, or a 400/403 refusal
 * listing what is wrong (403 when the gateway writes a meter that is not its own or posts as
 * another gateway).
 */
export function validateEdgeBatch(
  body: unknown,
  ctx: { readonly gateway: EdgeGateway; readonly idempotencyKey?: string; readonly nowMs: number },
): EdgeBatch | EdgeRefusal {
  const issues: EdgeIssue[] = [];
  let forbidden = false;
  const issue = (path: string, message: string, isForbidden = false) => {
    forbidden ||= isForbidden;
    if (issues.length < EDGE_LIMITS.maxIssues) issues.push({ path, message });
  };
  const refuse = (): EdgeRefusal => ({
    status: forbidden ? 403 : 400,
    code: forbidden ? 'FORBIDDEN' : 'INVALID_BATCH',
    message: `batch refused: ${issues.length} problem(s); nothing was written`,
    issues,
  });
  if (!isObject(body)) {
    issue('(body)', 'expected a JSON object {gateway, batchId, readings}');
    return refuse();
  }
  for (const key of Object.keys(body)) {
    if (!['gateway', 'batchId', 'readings'].includes(key))
      issue(key, 'unknown property; expected gateway, batchId, readings');
  }
  const { gateway } = ctx;
  if (body.gateway !== gateway.id) {
    issue('gateway', `is ${show(body.gateway)} but the token belongs to gateway "${gateway.id}"`, true);
  }
  const batchId = body.batchId;
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) {
    issue('batchId', `expected 1-128 characters of A-Z a-z 0-9 . _ : -, got ${show(batchId)}`);
  } else if (ctx.idempotencyKey !== undefined && ctx.idempotencyKey !== batchId) {
    issue(
      'Idempotency-Key',
      `header ${show(ctx.idempotencyKey)} differs from batchId ${show(batchId)}; send the batch id as the key`,
    );
  }
  const readings = body.readings;
  if (!Array.isArray(readings) || readings.length === 0) {
    issue('readings', 'expected a non-empty array of readings');
    return refuse();
  }
  if (readings.length > EDGE_LIMITS.maxReadings) {
    issue('readings', `${readings.length} readings; at most ${EDGE_LIMITS.maxReadings} per batch (split the batch)`);
    return refuse();
  }
  const own = new Set(gateway.meters);
  const seen = new Set<string>();
  const valid: Reading[] = [];
  readings.forEach((raw: unknown, i) => {
    const at = `readings[${i}]`;
    const before = issues.length;
    if (!isObject(raw)) {
      issue(at, 'expected a reading object');
      return;
    }
    for (const key of Object.keys(raw)) if (!READING_KEYS.has(key)) issue(`${at}.${key}`, 'unknown property');
    const { meter, timeMs, good, protocol, source, via, fields } = raw;
    if (typeof meter !== 'string' || !isMeterId(meter))
      issue(`${at}.meter`, `expected a 12-digit meter id, got ${show(meter)}`);
    else if (!own.has(meter))
      issue(
        `${at}.meter`,
        `meter ${meter} is not registered to gateway "${gateway.id}" (edge.gateways[].meters)`,
        true,
      );
    if (typeof timeMs !== 'number' || !Number.isInteger(timeMs)) {
      issue(`${at}.timeMs`, `expected integer UTC epoch milliseconds, got ${show(timeMs)}`);
    } else if (timeMs < ctx.nowMs - EDGE_LIMITS.maxAgeMs || timeMs > ctx.nowMs + EDGE_LIMITS.maxFutureMs) {
      issue(
        `${at}.timeMs`,
        `${new Date(timeMs).toISOString()} is implausible: readings must be at most 400 days old and 5 minutes ahead of ${new Date(ctx.nowMs).toISOString()} (check the collector's clock)`,
      );
    }
    if (typeof good !== 'boolean') issue(`${at}.good`, `expected true or false, got ${show(good)}`);
    if (protocol !== undefined && !isMeterProtocol(protocol)) {
      issue(`${at}.protocol`, `expected v3, v4 or v5, got ${show(protocol)}`);
    }
    if (source !== 'edge') issue(`${at}.source`, `expected "edge", got ${show(source)}`);
    if (via !== gateway.id) issue(`${at}.via`, `expected the gateway id "${gateway.id}", got ${show(via)}`, true);
    if (!isObject(fields)) issue(`${at}.fields`, 'expected an object of EKM field name → number or text');
    else {
      const entries = Object.entries(fields);
      if (entries.length === 0 || entries.length > EDGE_LIMITS.maxFieldsPerReading) {
        issue(`${at}.fields`, `expected 1..${EDGE_LIMITS.maxFieldsPerReading} fields, got ${entries.length}`);
      }
      for (const [name, value] of entries) {
        if (!FIELD_NAME.test(name) || !EDGE_FIELDS.has(name)) {
          const like = FIELD_NAME.test(name) ? suggestFields(name, EDGE_FIELDS) : [];
          issue(
            `${at}.fields`,
            `field name ${show(name)} is not an EKM field name${like.length ? `; did you mean ${like.join(', ')}?` : ' (see functions/core/ekm/field-catalog.ts)'}`,
          );
        } else if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string') {
          issue(`${at}.fields.${name}`, `expected a finite number or text, got ${show(value)}`);
        } else if (typeof value === 'string' && value.length > EDGE_LIMITS.maxStringLength) {
          issue(`${at}.fields.${name}`, `text longer than ${EDGE_LIMITS.maxStringLength} characters`);
        }
      }
    }
    if (issues.length > before) return;
    const reading: Reading = {
      meter: meter as string,
      timeMs: timeMs as number,
      good: good as boolean,
      ...(protocol ? { protocol: protocol as Reading['protocol'] & string } : {}),
      source: 'edge',
      via: gateway.id,
      fields: fields as Record<string, FieldValue>,
    };
    const identity = `${reading.meter}@${reading.timeMs}`;
    if (seen.has(identity)) {
      issue(at, `duplicate reading for meter ${reading.meter} at ${reading.timeMs} in this batch`);
      return;
    }
    seen.add(identity);
    // The lake's own typing rules: a value that does not fit its column refuses the batch here,
    // instead of being quarantined after the collector was told "accepted".
    const row = readingToRow(reading);
    if ('rejected' in row) {
      issue(at, row.rejected.reason);
      return;
    }
    valid.push(reading);
  });
  if (issues.length > 0) return refuse();
  return { gateway: gateway.id, batchId: batchId as string, readings: valid };
}

/** True for a refusal (narrowing helper). */
export function isRefusal(value: object): value is EdgeRefusal {
  return 'status' in value && 'code' in value;
}

import { THRESHOLD_TESTS } from '../../functions/core/triggers/model';
import type { Clock } from '../../functions/ports/clock';
import type { FakeRequest, FakeResponse, FakeRoute } from './fake-http';
import { type FakeAccount, type FakeKey, type FakeToken, keyCanSeeGateway } from './identities';
import { FakeTriggerStore, type StoredTrigger, type TriggerAttributes } from './trigger-store';

export interface TriggerRouteOptions {
  /** Share a store to inspect or seed it (tests, demo, benchmark); a fresh one otherwise. */
  readonly store?: FakeTriggerStore;
  /**
   * Attributes PUT refuses to change (400), to emulate an API that cannot modify them in place.
   * Empty by default: EKM documents PUT as taking the trigger attributes.
   */
  readonly immutableAttributes?: readonly ('trigger_name' | 'enabled' | 'conditions' | 'actions')[];
}

const UUID = /^[0-9a-f]{32}$/;
const MAC = /^[0-9a-f]{12}$/;
const NUMERIC = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumeric(value: unknown): boolean {
  return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && NUMERIC.test(value));
}

/**
 * The local EKM cloud's Trigger API (`/api/trigger`), as EKM documents it
 * (docs/ekm-push-apis.md §5): lookup by `trigger=` uuid or `gateway=` mac (both answer
 * `{"triggers":[...]}`), POST create (`?gateway=`, body `{"trigger":{...}}`), PUT modify (body
 * `{"trigger":{"trigger_uuid":...,...}}`), DELETE (body `{"trigger_uuid":...}`), `indent=n`.
 * A bearer token is required on every request (403 when missing or unknown; READ tokens get 403
 * on POST/PUT/DELETE before anything else is looked at); the `key` must see the gateway (403).
 * Bad bodies get 400 naming the attribute; unknown uuids 404. Errors are `{"error": "..."}`.
 */
export function makeTriggerRoute(account: FakeAccount, clock: Clock, options: TriggerRouteOptions = {}): FakeRoute {
  const store = options.store ?? new FakeTriggerStore(clock);
  const immutable = new Set<string>(options.immutableAttributes ?? []);
  return (req) => {
    if (req.path !== '/api/trigger' && req.path !== '/api/trigger/') return undefined;
    let indent: number | undefined;
    try {
      indent = parseIndent(req.query.get('indent'));
      const token = authorize(account, req);
      const key = findKey(account, req.query.get('key'));
      const body = handle(req, token, key);
      return json(200, body, indent);
    } catch (error) {
      if (error instanceof HttpError) return json(error.status, { error: error.message }, indent);
      throw error;
    }
  };

  function handle(req: FakeRequest, token: FakeToken, key: FakeKey): unknown {
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST' && method !== 'PUT' && method !== 'DELETE')
      throw new HttpError(405, `method ${method} is not supported; use GET, POST, PUT or DELETE`);
    if (method !== 'GET' && token.permission !== 'READ/WRITE')
      throw new HttpError(403, `this API token has READ permission; ${method} needs a READ/WRITE token`);
    if (method === 'GET') return lookup(req, key);
    const body = parseBody(req.body);
    if (method === 'POST') return create(req, key, body);
    if (method === 'PUT') return modify(key, body);
    return remove(key, body);
  }

  function lookup(req: FakeRequest, key: FakeKey): unknown {
    const uuid = req.query.get('trigger');
    const gateway = req.query.get('gateway');
    if (uuid !== null) {
      const found = visibleTrigger(key, uuid);
      return { triggers: [present(found)] };
    }
    if (gateway !== null) {
      checkGateway(key, gateway);
      return { triggers: store.list(gateway).map(present) };
    }
    throw new HttpError(400, 'missing parameter: pass trigger=<uuid> or gateway=<mac>');
  }

  function create(req: FakeRequest, key: FakeKey, body: unknown): unknown {
    const gateway = req.query.get('gateway');
    if (gateway === null)
      throw new HttpError(400, 'missing parameter: gateway=<mac> names the gateway that owns the trigger');
    checkGateway(key, gateway);
    if (!isRecord(body) || !isRecord(body.trigger)) throw new HttpError(400, 'body must be {"trigger": {...}}');
    const attrs = validateAttributes(gateway, body.trigger, false);
    if (attrs.trigger_name === undefined) throw new HttpError(400, 'trigger.trigger_name is required');
    return { trigger: present(store.create(gateway, { ...attrs, trigger_name: attrs.trigger_name })) };
  }

  function modify(key: FakeKey, body: unknown): unknown {
    if (!isRecord(body) || !isRecord(body.trigger))
      throw new HttpError(400, 'body must be {"trigger": {"trigger_uuid": "...", ...}}');
    const current = visibleTrigger(key, body.trigger.trigger_uuid);
    const attrs = validateAttributes(current.gateway, body.trigger, true);
    for (const name of immutable) {
      const value = attrs[name as keyof TriggerAttributes];
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(current[name as keyof StoredTrigger]))
        throw new HttpError(400, `trigger.${name} cannot be modified; delete the trigger and create it again`);
    }
    const next = store.modify(current.trigger_uuid, attrs);
    if (!next) throw new HttpError(404, `trigger ${current.trigger_uuid} not found`);
    return { trigger: present(next) };
  }

  function remove(key: FakeKey, body: unknown): unknown {
    if (!isRecord(body)) throw new HttpError(400, 'body must be {"trigger_uuid": "..."}');
    const current = visibleTrigger(key, body.trigger_uuid);
    store.delete(current.trigger_uuid);
    return { trigger_uuid: current.trigger_uuid, deleted: true };
  }

  function visibleTrigger(key: FakeKey, uuid: unknown): StoredTrigger {
    if (typeof uuid !== 'string' || !UUID.test(uuid))
      throw new HttpError(400, `trigger_uuid ${JSON.stringify(uuid)} is not 32 lower-case hex digits`);
    const found = store.get(uuid);
    if (!found) throw new HttpError(404, `trigger ${uuid} not found`);
    if (!keyCanSeeGateway(key, found.gateway)) throw new HttpError(403, 'the key cannot access this trigger');
    return found;
  }

  function checkGateway(key: FakeKey, gateway: string): void {
    if (!MAC.test(gateway))
      throw new HttpError(400, `gateway ${JSON.stringify(gateway)} is not a mac of 12 lower-case hex digits`);
    if (!keyCanSeeGateway(key, gateway)) throw new HttpError(403, 'the key cannot access this gateway');
    if (!account.gateways.some((g) => g.mac === gateway)) throw new HttpError(404, `gateway ${gateway} not found`);
  }

  function validateAttributes(gateway: string, raw: Record<string, unknown>, partial: boolean): TriggerAttributes {
    const known = new Set([
      'trigger_uuid',
      'trigger_name',
      'conditions',
      'actions',
      'enabled',
      'extras',
      'created_at',
      'updated_at',
    ]);
    for (const k of Object.keys(raw))
      if (!known.has(k)) throw new HttpError(400, `trigger.${k} is not a trigger attribute`);
    const out: { -readonly [K in keyof TriggerAttributes]: TriggerAttributes[K] } = {};
    if (raw.trigger_name !== undefined || !partial) {
      if (typeof raw.trigger_name !== 'string' || raw.trigger_name.trim() === '')
        throw new HttpError(400, 'trigger.trigger_name must be a non-empty string');
      out.trigger_name = raw.trigger_name;
    }
    if (raw.enabled !== undefined) {
      if (typeof raw.enabled !== 'boolean') throw new HttpError(400, 'trigger.enabled must be true or false');
      out.enabled = raw.enabled;
    }
    if (raw.extras !== undefined) {
      if (!isRecord(raw.extras)) throw new HttpError(400, 'trigger.extras must be an object');
      out.extras = raw.extras;
    }
    if (raw.conditions !== undefined || !partial) {
      if (!Array.isArray(raw.conditions) || raw.conditions.length === 0)
        throw new HttpError(400, 'trigger.conditions must be a non-empty list');
      raw.conditions.forEach((c, i) => {
        validateCondition(gateway, c, `trigger.conditions[${i}]`);
      });
      out.conditions = raw.conditions;
    }
    if (raw.actions !== undefined || !partial) {
      if (!Array.isArray(raw.actions) || raw.actions.length === 0)
        throw new HttpError(400, 'trigger.actions must be a non-empty list');
      raw.actions.forEach((a, i) => {
        validateAction(gateway, a, `trigger.actions[${i}]`);
      });
      out.actions = raw.actions;
    }
    return out;
  }

  function meterOn(gateway: string, id: unknown) {
    return account.gateways.find((g) => g.mac === gateway)?.meters.find((m) => m.id === id);
  }

  function validateCondition(gateway: string, c: unknown, at: string): void {
    if (!isRecord(c)) throw new HttpError(400, `${at} must be an object`);
    if (c.type === 'rrule') {
      if (typeof c.rrule !== 'string' || !/^DTSTART:\d{8}T\d{6}Z?$/m.test(c.rrule) || !/^RRULE:/m.test(c.rrule))
        throw new HttpError(400, `${at}.rrule must hold "DTSTART:YYYYMMDDTHHMMSS" (UTC) and an "RRULE:" line`);
      return;
    }
    if (c.type !== 'data') throw new HttpError(400, `${at}.type must be "data" or "rrule"`);
    if (c.source !== 'meter' && c.source !== 'iostack')
      throw new HttpError(400, `${at}.source must be "meter" or "iostack"`);
    if (c.source === 'meter' && !meterOn(gateway, c.source_id))
      throw new HttpError(400, `${at}.source_id ${JSON.stringify(c.source_id)} is not a meter on gateway ${gateway}`);
    if (typeof c.field !== 'string' || c.field === '') throw new HttpError(400, `${at}.field must be a field name`);
    if (!(THRESHOLD_TESTS as readonly unknown[]).includes(c.threshold_test))
      throw new HttpError(400, `${at}.threshold_test must be one of ${THRESHOLD_TESTS.join(' ')}`);
    if (!isNumeric(c.threshold_value)) throw new HttpError(400, `${at}.threshold_value must be a number`);
    for (const k of ['duration', 'hysteresis', 'tolerance'] as const)
      if (c[k] !== undefined && !isNumeric(c[k])) throw new HttpError(400, `${at}.${k} must be a number`);
    if (c.continuous !== undefined && typeof c.continuous !== 'boolean')
      throw new HttpError(400, `${at}.continuous must be true or false`);
  }

  function validateAction(gateway: string, a: unknown, at: string): void {
    if (!isRecord(a)) throw new HttpError(400, `${at} must be an object`);
    if (a.command === 'sendEmail') {
      if (a.target !== 'gateway') throw new HttpError(400, `${at}.target must be "gateway" for sendEmail`);
      return;
    }
    if (a.command !== 'setRelay') throw new HttpError(400, `${at}.command must be "setRelay" or "sendEmail"`);
    if (a.target !== 'meter') throw new HttpError(400, `${at}.target must be "meter" for setRelay`);
    const meter = meterOn(gateway, a.target_id);
    if (!meter)
      throw new HttpError(400, `${at}.target_id ${JSON.stringify(a.target_id)} is not a meter on gateway ${gateway}`);
    const params = a.params;
    if (!isRecord(params)) throw new HttpError(400, `${at}.params must be {relay, status, duration}`);
    if (typeof params.relay !== 'string' || !meter.relays.includes(params.relay))
      throw new HttpError(
        400,
        `${at}.params.relay ${JSON.stringify(params.relay)} is not a relay of meter ${meter.id} (${meter.protocol}; relays: ${meter.relays.join(', ') || 'none'})`,
      );
    if (params.status !== 'open' && params.status !== 'close')
      throw new HttpError(400, `${at}.params.status must be "open" or "close"`);
    if (params.duration !== undefined && !isNumeric(params.duration))
      throw new HttpError(400, `${at}.params.duration must be a number`);
  }
}

function present(t: StoredTrigger): Record<string, unknown> {
  const { gateway: _gateway, ...rest } = t;
  return rest;
}

function parseIndent(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 10)
    throw new HttpError(400, `indent ${JSON.stringify(value)} must be a whole number from 1 to 10`);
  return n;
}

function authorize(account: FakeAccount, req: FakeRequest): FakeToken {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m) throw new HttpError(403, 'missing API token: send "Authorization: Bearer <token>"');
  const token = account.tokens.find((t) => t.token === m[1]);
  if (!token) throw new HttpError(403, 'invalid API token');
  return token;
}

function findKey(account: FakeAccount, value: string | null): FakeKey {
  if (!value) throw new HttpError(403, 'missing key parameter');
  const key = account.keys.find((k) => k.key === value);
  if (!key) throw new HttpError(403, 'invalid key');
  return key;
}

function parseBody(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'missing JSON body');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function json(status: number, body: unknown, indent: number | undefined): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body, null, indent),
  };
}

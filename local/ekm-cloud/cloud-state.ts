import type { Clock } from '../../functions/ports/clock';
import type { FakeResponse } from './fake-http';
import type { FaultInjector } from './faults';
import type { FakeAccount, FakeGateway, FakeKey, FakeMeter } from './identities';
import type { SimOptions } from './simulator';

/**
 * What every route of the local EKM cloud shares: identities (indexed), the simulator settings,
 * the clock, the fault injector and the documented behaviour switches.
 */
export interface CloudBehaviour {
  /**
   * How API status codes 1000–1300 are sent (undocumented, docs/ekm-push-apis.md §6.1, §7). `json` (default):
   * `{"error":{"code":1102,"message":"…"}}` with HTTP 400 (11xx, 1200, 1004), 200 (1000–1003) or
   * 500 (1300). `legacy-text`: the Summary API answers errors with HTTP 200 and a text body starting
   * with `Error` (as the 2015 summary API did, §3.6); other APIs keep the JSON form.
   */
  readonly errorStyle: 'json' | 'legacy-text';
  /** `MAC_Addr` in realtime ReadSets: `plain` 12 hex (as the Account API writes it, default) or `colon`. */
  readonly macStyle: 'plain' | 'colon';
}

export interface CloudState {
  readonly account: FakeAccount;
  readonly clock: Clock;
  readonly sim: SimOptions;
  readonly faults: { current: FaultInjector };
  readonly behaviour: CloudBehaviour;
  readonly meters: ReadonlyMap<string, { meter: FakeMeter; gateway: FakeGateway }>;
}

export function indexMeters(account: FakeAccount): Map<string, { meter: FakeMeter; gateway: FakeGateway }> {
  const out = new Map<string, { meter: FakeMeter; gateway: FakeGateway }>();
  for (const gateway of account.gateways) for (const meter of gateway.meters) out.set(meter.id, { meter, gateway });
  return out;
}

/** Meters a key may see, in account order. */
export function visibleMeters(state: CloudState, key: FakeKey): { meter: FakeMeter; gateway: FakeGateway }[] {
  if (key.kind === 'meter') {
    const m = key.scope ? state.meters.get(key.scope) : undefined;
    return m ? [m] : [];
  }
  const out: { meter: FakeMeter; gateway: FakeGateway }[] = [];
  for (const gateway of state.account.gateways) {
    if (key.kind === 'gateway' && gateway.mac !== key.scope) continue;
    for (const meter of gateway.meters) out.push({ meter, gateway });
  }
  return out;
}

export function canSee(key: FakeKey, entry: { meter: FakeMeter; gateway: FakeGateway }): boolean {
  if (key.kind === 'account') return true;
  if (key.kind === 'meter') return key.scope === entry.meter.id;
  return key.scope === entry.gateway.mac;
}

/** An EKM API status response in the documented JSON form. */
export function ekmError(code: number, message: string): FakeResponse {
  const status = code >= 1300 ? 500 : code < 1004 ? 200 : 400;
  return { status, body: { error: { code, message } } };
}

/** Missing key: 1103 invalid parameter. Unknown key: HTTP 401 `{"error":"Invalid key"}` (our choice). */
export function authenticate(state: CloudState, query: URLSearchParams): FakeKey | FakeResponse {
  const key = query.get('key');
  if (!key) return ekmError(1103, 'Invalid parameter: key is required (your EKM Push key)');
  const found = state.account.keys.find((k) => k.key === key);
  if (!found) return { status: 401, body: { error: 'Invalid key' } };
  return found;
}

export function isResponse(value: unknown): value is FakeResponse {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/** Split EKM's `~` lists (commas accepted too), dropping empties. */
export function splitList(value: string | null): string[] {
  if (!value) return [];
  return value
    .split(/[~,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

import { toMeterId } from '../readings/meter-id';
import { isMeterProtocol } from '../readings/reading';
import type { AccountGateway, AccountMeter } from './api-types';
import { detectEkmStatus, EkmApiError, EkmResponseError } from './ekm-errors';
import { encodeQuery } from './realtime';

/**
 * Account API (`/account/api/{account|gateway|meter}`), pure. The `account` target's shape is
 * EKM's sample (docs/ekm-push-apis.md §4); gateway objects carry `name` and `meters` (seen in client code).
 * Meter entries are accepted as `{address}` objects or bare strings.
 */
export type AccountTarget = 'account' | 'gateway' | 'meter';

/** The URL of an Account API request; `ids` (gateway macs or meter ids) may repeat, as EKM documents. */
export function buildAccountRequest(
  baseUrl: string,
  key: string,
  target: AccountTarget,
  ids: readonly string[] = [],
): string {
  const qs = [encodeQuery({ key }), ...ids.map((id) => encodeQuery({ id }))].join('&');
  return `${baseUrl.replace(/\/+$/, '')}/account/api/${target}?${qs}`;
}

function parseJson(body: string, endpoint: string, secrets: readonly string[]): Record<string, unknown> {
  const status = detectEkmStatus(body);
  if (status)
    throw new EkmApiError(
      { ekmStatus: status.code, endpoint, meters: [], httpStatus: 200, detail: status.message },
      secrets,
    );
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new EkmResponseError(endpoint, `body is not JSON (starts ${JSON.stringify(body.slice(0, 40))})`, secrets);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new EkmResponseError(endpoint, 'expected a JSON object', secrets);
  return json as Record<string, unknown>;
}

function meterAddress(entry: unknown): string | undefined {
  if (typeof entry === 'string' || typeof entry === 'number') return String(entry);
  if (typeof entry === 'object' && entry !== null) {
    const a = (entry as Record<string, unknown>).address ?? (entry as Record<string, unknown>).meter;
    if (typeof a === 'string' || typeof a === 'number') return String(a);
  }
  return undefined;
}

function protocolOf(entry: unknown): AccountMeter['protocol'] {
  const p = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).protocol : undefined;
  return isMeterProtocol(p) ? p : undefined;
}

function list(obj: Record<string, unknown>, name: string, endpoint: string): unknown[] {
  const v = obj[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new EkmResponseError(endpoint, `"${name}" is not a list`);
  return v;
}

/** `account` target → its meters (12-digit ids) and the key's kind. */
export function parseAccountResponse(
  body: string,
  secrets: readonly string[] = [],
): { keyType?: string; meters: AccountMeter[]; gateways: string[] } {
  const endpoint = 'account.account';
  const obj = parseJson(body, endpoint, secrets);
  const meters = list(obj, 'meters', endpoint).map((m, i) => {
    const address = meterAddress(m);
    if (!address) throw new EkmResponseError(endpoint, `meters[${i}] has no address`);
    const protocol = protocolOf(m);
    return { meter: toMeterId(address, `meters[${i}].address`), ...(protocol ? { protocol } : {}) };
  });
  const gateways = list(obj, 'gateways', endpoint).map((g, i) => {
    const mac = typeof g === 'string' ? g : (g as Record<string, unknown> | null)?.mac_address;
    if (typeof mac !== 'string') throw new EkmResponseError(endpoint, `gateways[${i}] has no mac_address`);
    return mac.replace(/:/g, '').toLowerCase();
  });
  return { ...(typeof obj.key_type === 'string' ? { keyType: obj.key_type } : {}), meters, gateways };
}

/** `gateway` target → gateways with their meters (and protocols when given). */
export function parseGatewayResponse(
  body: string,
  secrets: readonly string[] = [],
): { gateways: AccountGateway[]; meters: AccountMeter[] } {
  const endpoint = 'account.gateway';
  const obj = parseJson(body, endpoint, secrets);
  const meters: AccountMeter[] = [];
  const gateways = list(obj, 'gateways', endpoint).map((g, i) => {
    if (typeof g !== 'object' || g === null) throw new EkmResponseError(endpoint, `gateways[${i}] is not an object`);
    const r = g as Record<string, unknown>;
    const mac = r.mac_address ?? r.mac;
    if (typeof mac !== 'string') throw new EkmResponseError(endpoint, `gateways[${i}] has no mac_address`);
    const plainMac = mac.replace(/:/g, '').toLowerCase();
    const ids = list(r, 'meters', endpoint).map((m, j) => {
      const address = meterAddress(m);
      if (!address) throw new EkmResponseError(endpoint, `gateways[${i}].meters[${j}] has no address`);
      const meter = toMeterId(address, `gateways[${i}].meters[${j}]`);
      const protocol = protocolOf(m);
      meters.push({ meter, gateway: plainMac, ...(protocol ? { protocol } : {}) });
      return meter;
    });
    return { mac: plainMac, ...(typeof r.name === 'string' ? { name: r.name } : {}), meters: ids };
  });
  return { gateways, meters };
}

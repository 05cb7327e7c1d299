import { authenticate, type CloudState, ekmError, isResponse, visibleMeters } from './cloud-state';
import type { FakeRequest, FakeResponse, FakeRoute } from './fake-http';
import { keyCanSeeGateway } from './identities';

/**
 * The Account API (`/account/api/{account|gateway|meter}`, docs/ekm-push-apis.md §4). GET is documented; POST
 * is accepted too (one rendering of EKM's page labels it POST). No bearer token is needed (our choice, §1.2).
 * Shapes: `account` as in EKM's sample; `gateway` → `{gateways:[{mac_address,name,meters:[{address,
 * protocol}]}]}`; `meter` → `{meters:[{address,protocol,gateway}]}` (both our choice; `id` filters and
 * may repeat).
 */
export function makeAccountRoute(state: CloudState): FakeRoute {
  return (req: FakeRequest) => {
    const m = /^\/account\/api\/([a-z]+)\/?$/.exec(req.path);
    if (!m) return undefined;
    if (req.method !== 'GET' && req.method !== 'POST') return { status: 405, body: { error: 'Use GET' } };
    const res = account(state, m[1] ?? '', req.query);
    const indent = Number(req.query.get('indent') ?? '0');
    if (res.status === 200 && Number.isInteger(indent) && indent > 0 && indent <= 8) {
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(res.body, null, indent),
      };
    }
    return res;
  };
}

function account(state: CloudState, target: string, query: URLSearchParams): FakeResponse {
  if (target !== 'account' && target !== 'gateway' && target !== 'meter') {
    return { status: 400, body: { error: `Invalid target ${target}: use account, gateway or meter` } };
  }
  const key = authenticate(state, query);
  if (isResponse(key)) return key.status === 200 ? { ...key, status: 400 } : key;
  const meters = visibleMeters(state, key);
  const ids = query.getAll('id').filter((id) => id !== '');
  if (target === 'account') {
    const gateways = state.account.gateways.filter((g) => keyCanSeeGateway(key, g.mac));
    return {
      status: 200,
      body: {
        key: key.key,
        key_type: key.kind,
        host: '127.0.0.1',
        gateways: gateways.map((g) => ({ mac_address: g.mac })),
        meters: meters.map((m) => ({ address: m.meter.id })),
        metersets: [],
      },
    };
  }
  if (target === 'gateway') {
    const gateways = state.account.gateways.filter(
      (g) => keyCanSeeGateway(key, g.mac) && (ids.length === 0 || ids.includes(g.mac)),
    );
    for (const id of ids) {
      if (!gateways.some((g) => g.mac === id))
        return { status: 400, body: { error: `Invalid id: gateway ${id} is not on this key` } };
    }
    return {
      status: 200,
      body: {
        gateways: gateways.map((g) => ({
          mac_address: g.mac,
          name: g.name,
          meters: g.meters.map((m) => ({ address: m.id, protocol: m.protocol })),
        })),
      },
    };
  }
  const selected = meters.filter((m) => ids.length === 0 || ids.includes(m.meter.id));
  for (const id of ids) {
    if (!selected.some((m) => m.meter.id === id))
      return ekmError(1200, `Found invalid meter: ${id} for key: ${key.key}`);
  }
  return {
    status: 200,
    body: {
      meters: selected.map((m) => ({ address: m.meter.id, protocol: m.meter.protocol, gateway: m.gateway.mac })),
    },
  };
}

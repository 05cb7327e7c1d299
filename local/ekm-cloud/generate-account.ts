import { createHash } from 'node:crypto';
import {
  DEMO_ACCOUNT_KEY,
  DEMO_BEARER_TOKEN,
  demoAccount,
  type FakeAccount,
  type FakeGateway,
  type FakeKey,
  type FakeMeter,
  type FakeToken,
} from './identities';

/**
 * Larger or richer accounts for the local EKM cloud: N meters over gateways (the 10,000-meter
 * benchmark), plus scoped keys and tokens. Everything is derived from the inputs, so two runs
 * generate the same identities.
 */
export interface GenerateAccountOptions {
  readonly meters: number;
  readonly metersPerGateway?: number;
  /** Every n-th meter is v3 (default 4). */
  readonly v3Every?: number;
  readonly solarEvery?: number;
  readonly pulsesEvery?: number;
}

/** A demo-keyed account with `meters` simulated meters (first gateway is the demo gateway). */
export function generateAccount(opts: GenerateAccountOptions): FakeAccount {
  const perGateway = opts.metersPerGateway ?? 100;
  const gateways: FakeGateway[] = [];
  const relays = ['relay_1', 'relay_2'];
  for (let i = 0; i < opts.meters; i += perGateway) {
    const meters: FakeMeter[] = [];
    for (let j = i; j < Math.min(opts.meters, i + perGateway); j++) {
      const v3 = j % (opts.v3Every ?? 4) === 3;
      const id = String(350000900 + j).padStart(12, '0');
      meters.push({
        id,
        protocol: v3 ? 'v3' : 'v4',
        relays: v3 ? [] : relays,
        ...(j % (opts.solarEvery ?? 5) === 1 ? { solar: true } : {}),
        ...(j % (opts.pulsesEvery ?? 7) === 2 ? { pulses: true } : {}),
      });
    }
    const g = gateways.length;
    gateways.push({
      mac: g === 0 ? '4016fa0500cd' : `4016fa${(0x100000 + g).toString(16).slice(-6)}`,
      name: `Simulated gateway ${g + 1}`,
      meters,
    });
  }
  return {
    keys: [{ key: DEMO_ACCOUNT_KEY, kind: 'account' }],
    tokens: [{ token: DEMO_BEARER_TOKEN, permission: 'READ/WRITE', privilege: 'OWNER' }],
    gateways,
  };
}

/**
 * Mint an EKM-shaped key: unpadded base64 of `<8 digits>:<8 chars>` (docs/ekm-push-apis.md §1.2; the structure is inferred),
 * deterministic from a label.
 */
export function mintKey(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  const digits = String(Number.parseInt(h.slice(0, 8), 16))
    .padStart(8, '0')
    .slice(0, 8);
  return Buffer.from(`${digits}:${h.slice(8, 16)}`)
    .toString('base64')
    .replace(/=+$/, '');
}

/** Mint a 43-character URL-safe bearer token, deterministic from a label. */
export function mintToken(label: string): string {
  return createHash('sha256').update(`token:${label}`).digest('base64url');
}

/** The demo account plus a gateway key, a meter key and a READ-only token (for tests and demos). */
export function demoAccountWithScopedKeys(): FakeAccount & {
  readonly gatewayKey: string;
  readonly meterKey: string;
  readonly readOnlyToken: string;
} {
  const base = demoAccount();
  const gatewayKey = mintKey('demo-gateway');
  const meterKey = mintKey('demo-meter');
  const readOnlyToken = mintToken('demo-read-only');
  const gw = base.gateways[0]!;
  const extraKeys: FakeKey[] = [
    { key: gatewayKey, kind: 'gateway', scope: gw.mac },
    { key: meterKey, kind: 'meter', scope: gw.meters[0]!.id },
  ];
  const extraTokens: FakeToken[] = [{ token: readOnlyToken, permission: 'READ', privilege: 'OWNER' }];
  return {
    ...base,
    keys: [...base.keys, ...extraKeys],
    tokens: [...base.tokens, ...extraTokens],
    gateways: [
      ...base.gateways,
      {
        mac: '4016fa0500ce',
        name: 'Second gateway',
        meters: [{ id: '000350000950', protocol: 'v4', relays: ['relay_1', 'relay_2'] }],
      },
    ],
    gatewayKey,
    meterKey,
    readOnlyToken,
  };
}

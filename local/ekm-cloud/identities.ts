import type { MeterId } from '../../functions/core/readings/meter-id';

/**
 * Who exists in the local EKM cloud: keys, bearer tokens, gateways and meters. Defaults are
 * EKM's documented demo identities (docs/ekm-push-apis.md §1.2); runs can add more.
 */
export type KeyKind = 'account' | 'gateway' | 'meter';

export interface FakeKey {
  readonly key: string;
  readonly kind: KeyKind;
  /** For `gateway` keys the gateway mac, for `meter` keys the meter id; absent for account keys. */
  readonly scope?: string;
}

export interface FakeToken {
  readonly token: string;
  readonly permission: 'READ' | 'READ/WRITE';
  readonly privilege: 'OWNER' | 'GROUP' | 'ADMIN';
}

export interface FakeMeter {
  readonly id: MeterId;
  readonly protocol: 'v3' | 'v4';
  /** v4/v5 Omnimeters have two relays; v3 meters have none. */
  readonly relays: readonly string[];
  /** Simulation hints: solar export, pulse inputs in use. */
  readonly solar?: boolean;
  readonly pulses?: boolean;
}

export interface FakeGateway {
  /** 12 lower-case hex digits, no colons (as the Account and Trigger APIs write it). */
  readonly mac: string;
  readonly name: string;
  readonly meters: readonly FakeMeter[];
}

export interface FakeAccount {
  readonly keys: readonly FakeKey[];
  readonly tokens: readonly FakeToken[];
  readonly gateways: readonly FakeGateway[];
}

export const DEMO_ACCOUNT_KEY = 'MTAxMDoyMDIw';
export const DEMO_GATEWAY_MAC = '4016fa0500cd';
export const DEMO_METER_ID = '000350000900';
export const DEMO_BEARER_TOKEN = 'BZTdu8_5iw62WQuDg4OHIMhG7mcEqJu8VrzHSywCkPk';

/** EKM's demo account: one gateway with a mix of v4 and v3 meters. */
export function demoAccount(): FakeAccount {
  const relays = ['relay_1', 'relay_2'];
  return {
    keys: [{ key: DEMO_ACCOUNT_KEY, kind: 'account' }],
    tokens: [{ token: DEMO_BEARER_TOKEN, permission: 'READ/WRITE', privilege: 'OWNER' }],
    gateways: [
      {
        mac: DEMO_GATEWAY_MAC,
        name: 'Demo Push3 gateway',
        meters: [
          { id: DEMO_METER_ID, protocol: 'v4', relays },
          { id: '000350000901', protocol: 'v4', relays, solar: true },
          { id: '000350000902', protocol: 'v4', relays, pulses: true },
          { id: '000000010068', protocol: 'v3', relays: [] },
        ],
      },
    ],
  };
}

/** True when `key` may see `meter` (account keys see all, gateway keys their gateway's, meter keys one). */
export function keyCanSeeMeter(account: FakeAccount, key: FakeKey, meter: MeterId): boolean {
  if (key.kind === 'account') return account.gateways.some((g) => g.meters.some((m) => m.id === meter));
  if (key.kind === 'meter') return key.scope === meter;
  return account.gateways.some((g) => g.mac === key.scope && g.meters.some((m) => m.id === meter));
}

/** True when `key` may see `gateway`. */
export function keyCanSeeGateway(key: FakeKey, gateway: string): boolean {
  return key.kind === 'account' || (key.kind === 'gateway' && key.scope === gateway);
}

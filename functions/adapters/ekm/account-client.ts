import { buildAccountRequest, parseAccountResponse, parseGatewayResponse } from '../../core/ekm/account';
import type { AccountApi, AccountGateway, AccountMeter, EkmKey } from '../../ports/ekm-api';
import type { HttpClient } from '../../ports/http-client';
import { ekmGet } from './common';

/**
 * Account API client. `meters()` asks the `account` target (the authoritative meter list of the
 * key) and enriches it with gateway and protocol from the `gateway` target.
 */
export class EkmAccountClient implements AccountApi {
  constructor(
    private readonly http: HttpClient,
    private readonly opts: { readonly baseUrl: string },
  ) {}

  async meters(key: EkmKey): Promise<AccountMeter[]> {
    const secrets = [key.key];
    const acc = await ekmGet(
      this.http,
      buildAccountRequest(this.opts.baseUrl, key.key, 'account'),
      'account.account',
      secrets,
    );
    const { meters, gateways } = parseAccountResponse(acc.body, secrets);
    if (gateways.length === 0) return meters;
    const gw = await ekmGet(
      this.http,
      buildAccountRequest(this.opts.baseUrl, key.key, 'gateway'),
      'account.gateway',
      secrets,
    );
    const detail = new Map(parseGatewayResponse(gw.body, secrets).meters.map((m) => [m.meter, m]));
    return meters.map((m) => {
      const d = detail.get(m.meter);
      return d ? { ...m, ...d } : m;
    });
  }

  async gateways(key: EkmKey): Promise<AccountGateway[]> {
    const secrets = [key.key];
    const res = await ekmGet(
      this.http,
      buildAccountRequest(this.opts.baseUrl, key.key, 'gateway'),
      'account.gateway',
      secrets,
    );
    return parseGatewayResponse(res.body, secrets).gateways;
  }
}

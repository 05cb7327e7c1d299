import type { MeterId } from '../../functions/core/readings/meter-id';
import type { AccountApi, AccountGateway, AccountMeter, EkmKey } from '../../functions/ports/ekm-api';
import type { FakeAccount } from '../../local/ekm-cloud/identities';

/** The Account API answered from a FakeAccount (for use-case tests); counts calls. */
export class FakeAccountApi implements AccountApi {
  calls = 0;
  constructor(private readonly account: FakeAccount) {}
  async meters(_key: EkmKey): Promise<AccountMeter[]> {
    this.calls++;
    return this.account.gateways.flatMap((g) =>
      g.meters.map((m) => ({ meter: m.id as MeterId, gateway: g.mac, protocol: m.protocol })),
    );
  }
  async gateways(_key: EkmKey): Promise<AccountGateway[]> {
    this.calls++;
    return this.account.gateways.map((g) => ({ mac: g.mac, name: g.name, meters: g.meters.map((m) => m.id) }));
  }
}

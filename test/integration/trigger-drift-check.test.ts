import { EkmTriggerClient } from '../../functions/adapters/ekm/trigger-client';
import type { DriftRecord, TriggerDriftStore } from '../../functions/ports/trigger-drift-store';
import { makeCheckTriggerDrift } from '../../functions/use-cases/check-trigger-drift';
import { DEMO_ACCOUNT_KEY, DEMO_BEARER_TOKEN, DEMO_GATEWAY_MAC, demoAccount } from '../../local/ekm-cloud/identities';
import { makeTriggerRoute } from '../../local/ekm-cloud/trigger-routes';
import { FakeTriggerStore } from '../../local/ekm-cloud/trigger-store';
import { FailingHttpClient, FetchHttpClient, type RouteServer, startRouteServer } from '../fakes/route-server';

class MemoryDriftStore implements TriggerDriftStore {
  readonly history: DriftRecord[] = [];
  async record(records: readonly DriftRecord[]) {
    this.history.push(...records);
  }
  async latest(gateway: string) {
    return this.history.filter((r) => r.gateway === gateway).at(-1);
  }
}

const clock = { now: () => Date.UTC(2026, 10, 25, 12) };
const TEXT = `version: 1
gateways:
  - mac: "${DEMO_GATEWAY_MAC}"
    triggers:
      - name: one
        conditions: [{ type: rrule, rrule: "DTSTART:20250101T000000Z\\nRRULE:FREQ=DAILY" }]
        actions: [{ target: gateway, command: sendEmail }]
      - name: two
        conditions: [{ type: rrule, rrule: "DTSTART:20250101T000000Z\\nRRULE:FREQ=HOURLY" }]
        actions: [{ target: gateway, command: sendEmail }]
`;

describe('makeCheckTriggerDrift', () => {
  let server: RouteServer;
  let cloudStore: FakeTriggerStore;
  beforeEach(async () => {
    cloudStore = new FakeTriggerStore(clock);
    server = await startRouteServer([makeTriggerRoute(demoAccount(), clock, { store: cloudStore })]);
  });
  afterEach(() => server.close());

  it('keeps what an auto-apply could not fix as remaining drift, with the error', async () => {
    // Prepare: creates of "two" fail.
    const http = new FailingHttpClient(
      new FetchHttpClient(),
      (req) => req.method === 'POST' && (req.body ?? '').includes('"two"'),
    );
    const store = new MemoryDriftStore();
    const check = makeCheckTriggerDrift({
      clock,
      triggers: new EkmTriggerClient(http, {
        baseUrl: server.url,
        key: { alias: 'demo', key: DEMO_ACCOUNT_KEY },
        token: DEMO_BEARER_TOKEN,
      }),
      store,
      keyAlias: 'demo',
      loadDesired: async () => ({ name: 's3://b/triggers.yaml', text: TEXT }),
      autoApplyGateways: new Set([DEMO_GATEWAY_MAC]),
    });
    // Act
    const result = await check();
    // Assess
    expect(result.totalRemaining).toBe(1);
    const record = await store.latest(DEMO_GATEWAY_MAC);
    expect(record).toMatchObject({
      drift: 2,
      remaining: 1,
      autoApplied: true,
      file: 's3://b/triggers.yaml',
      checkedAtMs: clock.now(),
    });
    expect(record?.changes).toEqual([
      { action: 'create', name: 'one' },
      { action: 'create', name: 'two', error: expect.stringMatching(/injected failure/) },
    ]);
    expect(JSON.stringify(store.history)).not.toContain(DEMO_ACCOUNT_KEY);
    expect(cloudStore.list(DEMO_GATEWAY_MAC).map((t) => t.trigger_name)).toEqual(['one']);
    // Act: the next run (network healthy) converges.
    http.failWhen = () => false;
    expect((await check()).totalRemaining).toBe(0);
    expect(await store.latest(DEMO_GATEWAY_MAC)).toMatchObject({ drift: 1, remaining: 0 });
    expect((await check()).records[0]).toMatchObject({
      drift: 0,
      remaining: 0,
      autoApplied: false,
      summary: { unchanged: 2 },
    });
  });

  it('fails the run on an invalid desired file, recording nothing', async () => {
    const store = new MemoryDriftStore();
    const check = makeCheckTriggerDrift({
      clock,
      triggers: new EkmTriggerClient(new FetchHttpClient(), {
        baseUrl: server.url,
        key: { alias: 'demo', key: DEMO_ACCOUNT_KEY },
        token: DEMO_BEARER_TOKEN,
      }),
      store,
      keyAlias: 'demo',
      loadDesired: async () => ({ name: 's3://b/t.yaml', text: TEXT.replace('name: two', 'name: one') }),
    });
    await expect(check()).rejects.toThrow(
      /s3:\/\/b\/t.yaml:\/gateways\/0\/triggers\/1\/name: duplicate trigger name "one"/,
    );
    expect(store.history).toEqual([]);
    expect(server.requests).toEqual([]);
  });
});

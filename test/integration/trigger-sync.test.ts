import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EkmTriggerClient } from '../../functions/adapters/ekm/trigger-client';
import { UndiciHttpClient } from '../../functions/adapters/undici-http-client';
import type { HttpClient } from '../../functions/ports/http-client';
import { makeApplyTriggers, renderApplyResult, TriggerPermissionError } from '../../functions/use-cases/apply-triggers';
import { makePlanTriggers } from '../../functions/use-cases/plan-triggers';
import { makeValidateTriggers } from '../../functions/use-cases/validate-triggers';
import {
  DEMO_ACCOUNT_KEY,
  DEMO_BEARER_TOKEN,
  DEMO_GATEWAY_MAC,
  demoAccount,
  type FakeAccount,
} from '../../local/ekm-cloud/identities';
import { makeTriggerRoute } from '../../local/ekm-cloud/trigger-routes';
import { FakeTriggerStore } from '../../local/ekm-cloud/trigger-store';
import { FakeAccountApi } from '../fakes/fake-account-api';
import { FailingHttpClient, FetchHttpClient, type RouteServer, startRouteServer } from '../fakes/route-server';

const EXAMPLE = join(__dirname, '../../examples/triggers.yaml');
const READ_TOKEN = 'READonlyTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
const clock = { now: () => Date.UTC(2026, 10, 25, 12, 0, 0) };
const key = { alias: 'demo', key: DEMO_ACCOUNT_KEY };

function account(): FakeAccount {
  const base = demoAccount();
  return { ...base, tokens: [...base.tokens, { token: READ_TOKEN, permission: 'READ', privilege: 'OWNER' }] };
}

describe('trigger sync against the local EKM cloud', () => {
  let server: RouteServer;
  let store: FakeTriggerStore;
  let undici: UndiciHttpClient;

  beforeEach(async () => {
    store = new FakeTriggerStore(clock);
    server = await startRouteServer([makeTriggerRoute(account(), clock, { store })]);
    undici = new UndiciHttpClient({ maxRetries: 0 });
  });
  afterEach(async () => {
    await undici.close();
    await server.close();
  });

  function sync(http: HttpClient = undici, token = DEMO_BEARER_TOKEN) {
    const triggers = new EkmTriggerClient(http, { baseUrl: server.url, key, token });
    return {
      triggers,
      plan: makePlanTriggers({ triggers }),
      apply: makeApplyTriggers({ triggers, keyAlias: 'demo', secrets: [DEMO_ACCOUNT_KEY, token] }),
    };
  }
  const validate = (text = readFileSync(EXAMPLE, 'utf8')) =>
    makeValidateTriggers({ clock, account: { api: new FakeAccountApi(account()), key } })({
      file: 'triggers.yaml',
      text,
    });
  const writes = () => server.requests.filter((r) => r.method !== 'GET').length;

  it('applies the example file, then a second plan and apply change nothing', async () => {
    // Prepare
    const { desired } = await validate();
    const { plan, apply } = sync();
    // Act
    const first = await plan({ desired });
    const applied = await apply(first.plan);
    const before = server.requests.length;
    const second = await plan({ desired });
    const again = await apply(second.plan);
    // Assess
    expect(first.plan.summary).toMatchObject({ create: 4, update: 0, delete: 0, unchanged: 0 });
    expect(applied).toMatchObject({ ok: true, applied: 4, failed: 0 });
    expect(
      store
        .list(DEMO_GATEWAY_MAC)
        .map((t) => t.trigger_name)
        .sort(),
    ).toEqual(['Low voltage on the v3 meter', 'Shed load above 12 kW', 'Some trigger', 'Weekday morning relay']);
    expect(second.plan.changesPending).toBe(false);
    expect(second.plan.summary.unchanged).toBe(4);
    expect(again).toEqual({ ok: true, outcomes: [], applied: 0, failed: 0 });
    // Only the one GET of the gateway: no request for unchanged triggers, no write check.
    expect(server.requests.slice(before)).toEqual([{ method: 'GET', path: '/api/trigger', status: 200 }]);
  });

  it('updates in place with a field-level diff, and replaces when the API cannot modify in place', async () => {
    const { desired } = await validate();
    const { plan, apply } = sync();
    await apply((await plan({ desired })).plan);
    const edited = readFileSync(EXAMPLE, 'utf8')
      .replace('hysteresis: 900', 'hysteresis: 600')
      .replace('threshold_value: 108', 'threshold_value: 105');
    const next = (await validate(edited)).desired;
    const uuidOf = (name: string) => store.list(DEMO_GATEWAY_MAC).find((t) => t.trigger_name === name)?.trigger_uuid;
    const shedUuid = uuidOf('Shed load above 12 kW');
    // Act: in place.
    const updatePlan = (await plan({ desired: next })).plan;
    const result = await apply(updatePlan);
    // Assess
    expect(updatePlan.summary).toMatchObject({ update: 2, unchanged: 2 });
    const shed = updatePlan.gateways[0]?.changes.find((c) => c.name === 'Shed load above 12 kW');
    expect(shed && 'changes' in shed ? shed.changes : []).toEqual([
      { path: 'conditions[0].hysteresis', before: 900, after: 600 },
    ]);
    expect(result.ok).toBe(true);
    expect(uuidOf('Shed load above 12 kW')).toBe(shedUuid);
    expect(store.get(shedUuid ?? '')?.conditions).toEqual([expect.objectContaining({ hysteresis: '600' })]);
    // Act: replace.
    const replaced =
      next.gateways[0]?.triggers.map((t) => (t.name === 'Some trigger' ? { ...t, enabled: false } : t)) ?? [];
    const replacePlan = (
      await plan({
        desired: { ...next, gateways: [{ ...(next.gateways[0] as (typeof next.gateways)[0]), triggers: replaced }] },
        replaceOn: ['enabled'],
      })
    ).plan;
    const oldUuid = uuidOf('Some trigger');
    const r2 = await apply(replacePlan);
    expect(replacePlan.summary.replace).toBe(1);
    expect(r2.outcomes).toEqual([
      expect.objectContaining({ action: 'replace', status: 'applied', note: `replaced ${oldUuid}` }),
    ]);
    expect(uuidOf('Some trigger')).not.toBe(oldUuid);
    expect(store.get(uuidOf('Some trigger') ?? '')?.enabled).toBe(false);
  });

  it('reports exactly what a part-way failure applied, and a re-run converges', async () => {
    // Prepare: fail the 2nd and 4th create (network-style errors that carry the URL and its key).
    const { desired } = await validate();
    let posts = 0;
    const flaky = new FailingHttpClient(
      new FetchHttpClient(),
      (req) => req.method === 'POST' && [2, 4].includes(++posts),
    );
    const { plan, apply } = sync(flaky);
    const applyOne = makeApplyTriggers({
      triggers: new EkmTriggerClient(flaky, { baseUrl: server.url, key, token: DEMO_BEARER_TOKEN }),
      keyAlias: 'demo',
      concurrency: 1,
    });
    // Act
    const result = await applyOne((await plan({ desired })).plan);
    // Assess: two applied, two failed, named; the failed ones are absent from the gateway.
    expect(result).toMatchObject({ ok: false, applied: 2, failed: 2 });
    const failedNames = result.outcomes.filter((o) => o.status === 'failed').map((o) => o.name);
    expect(failedNames).toEqual(['Shed load above 12 kW', 'Weekday morning relay']);
    expect(
      store
        .list(DEMO_GATEWAY_MAC)
        .map((t) => t.trigger_name)
        .sort(),
    ).toEqual(['Low voltage on the v3 meter', 'Some trigger']);
    const report = renderApplyResult(result);
    expect(report).toMatch(/Apply incomplete: 2 applied, 2 failed/);
    expect(report).toMatch(/✗ create {2}4016fa0500cd "Shed load above 12 kW" \(error: .*injected failure/);
    expect(report).not.toContain(DEMO_ACCOUNT_KEY);
    expect(report).not.toContain(DEMO_BEARER_TOKEN);
    // Act: re-run with the network healthy again.
    flaky.failWhen = () => false;
    const rerunPlan = (await plan({ desired })).plan;
    const rerun = await apply(rerunPlan);
    expect(rerunPlan.summary).toMatchObject({ create: 2, unchanged: 2 });
    expect(rerun).toMatchObject({ ok: true, applied: 2 });
    expect((await plan({ desired })).plan.changesPending).toBe(false);
    expect(store.list(DEMO_GATEWAY_MAC)).toHaveLength(4);
  });

  it('deletes triggers not in the file only with prune', async () => {
    const { desired } = await validate();
    store.create(DEMO_GATEWAY_MAC, {
      trigger_name: 'made in the portal',
      conditions: [{ type: 'rrule', rrule: 'DTSTART:20250101T000000\nRRULE:FREQ=DAILY' }],
      actions: [{ target: 'gateway', command: 'sendEmail' }],
    });
    const { plan, apply } = sync();
    await apply((await plan({ desired })).plan);
    expect(store.list(DEMO_GATEWAY_MAC)).toHaveLength(5);
    const pruning = (await plan({ desired, prune: true })).plan;
    expect(pruning.summary).toMatchObject({ delete: 1, unchanged: 4 });
    expect(await apply(pruning)).toMatchObject({ ok: true, applied: 1 });
    expect(store.list(DEMO_GATEWAY_MAC).map((t) => t.trigger_name)).not.toContain('made in the portal');
  });

  it('plans with a READ token but refuses to apply up front, naming the alias and not the token', async () => {
    const { desired } = await validate();
    const { plan, apply } = sync(undici, READ_TOKEN);
    const planned = (await plan({ desired })).plan;
    expect(planned.summary.create).toBe(4);
    const error = await apply(planned).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TriggerPermissionError);
    expect((error as Error).message).toMatch(/key alias "demo" has READ permission only; nothing was applied/);
    expect((error as Error).message).not.toContain(READ_TOKEN);
    expect(store.all()).toHaveLength(0);
    // The one write-shaped request was the harmless probe (a DELETE of an impossible uuid).
    expect(server.requests.filter((r) => r.method !== 'GET')).toEqual([
      { method: 'DELETE', path: '/api/trigger', status: 403 },
    ]);
    expect(writes()).toBe(1);
  });

  it('fails with a redacted 403 error for an invalid token', async () => {
    const { plan } = sync(undici, 'wrongTokenWrongTokenWrongToken');
    const { desired } = await validate();
    const error = (await plan({ desired }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/trigger\.list \(key alias "demo"\): the Trigger API refused the request \(403\)/);
    expect(error.message).not.toContain('wrongTokenWrongTokenWrongToken');
    expect(error.message).not.toContain(DEMO_ACCOUNT_KEY);
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DEMO_ACCOUNT_KEY,
  DEMO_BEARER_TOKEN,
  DEMO_GATEWAY_MAC,
  demoAccount,
  type FakeAccount,
} from '../../local/ekm-cloud/identities';
import { makeTriggerRoute } from '../../local/ekm-cloud/trigger-routes';
import { FakeTriggerStore } from '../../local/ekm-cloud/trigger-store';
import { type RouteServer, startRouteServer } from '../fakes/route-server';
import { SEED_ACTIONS, SEED_CONDITIONS } from '../fixtures/ekm/seed-trigger';

const run = promisify(execFile);
const SEED_UUID = '058f3dba18cb11edbdf452540000ef9a';
const SEED_LOOKUP_UUID = '1c27d0dcefc811eb90b27de8d650408c';
const READ_TOKEN = 'READonlyTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
const GATEWAY_KEY = 'Z2F0ZXdheTpvdGhlcg';

/** EKM's documented curl examples, in EKM's order. */
const seedCurls = readFileSync(join(__dirname, '../fixtures/ekm/trigger-seed-curl.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('curl '));

function account(): FakeAccount {
  const base = demoAccount();
  return {
    ...base,
    keys: [...base.keys, { key: GATEWAY_KEY, kind: 'gateway', scope: 'aaaaaaaaaaaa' }],
    tokens: [...base.tokens, { token: READ_TOKEN, permission: 'READ', privilege: 'OWNER' }],
    gateways: [...base.gateways, { mac: 'aaaaaaaaaaaa', name: 'other', meters: [] }],
  };
}

const clock = { now: () => Date.UTC(2026, 10, 25, 12, 0, 0) };

describe('local EKM cloud Trigger API', () => {
  let server: RouteServer;
  let store: FakeTriggerStore;

  beforeEach(async () => {
    // Prepare: uuids as EKM's examples expect them (create returns 058f…, then 1c27…).
    const uuids = [SEED_UUID, SEED_LOOKUP_UUID];
    store = new FakeTriggerStore(clock, () => uuids.shift() ?? 'ffffffffffffffffffffffffffffffff');
    server = await startRouteServer([makeTriggerRoute(account(), clock, { store })]);
  });
  afterEach(() => server.close());

  /** Run a seed curl line through a real shell with only the host swapped. */
  async function curl(line: string): Promise<{ status: number; body: string }> {
    const swapped = line.replace('https://api.ekmpush.com', server.url).replace(/^curl -i /, 'curl -s -i ');
    const { stdout } = await run('sh', ['-c', swapped]);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(stdout)?.[1]);
    return { status, body: stdout.slice(stdout.indexOf('\r\n\r\n') + 4) };
  }

  function call(method: string, query: string, opts: { token?: string | null; body?: unknown } = {}) {
    const token = opts.token === undefined ? DEMO_BEARER_TOKEN : opts.token;
    return fetch(`${server.url}/api/trigger?${query}`, {
      method,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  }

  it('answers every seed curl example with only the host swapped', async () => {
    const [listA, lookup, , create, modify, remove] = seedCurls;
    expect(seedCurls).toHaveLength(6);
    // Act + Assess: empty gateway first.
    const empty = await curl(listA ?? '');
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body)).toEqual({ triggers: [] });
    // Create answers EKM's documented response (uuid, strings kept, extras, timestamps).
    const created = await curl(create ?? '');
    expect(created.status).toBe(200);
    expect(JSON.parse(created.body)).toEqual({
      trigger: {
        trigger_uuid: SEED_UUID,
        trigger_name: 'Some trigger',
        conditions: SEED_CONDITIONS,
        actions: SEED_ACTIONS,
        extras: {},
        enabled: true,
        created_at: '2026-11-25T12:00:00.000000+00:00',
        updated_at: '2026-11-25T12:00:00.000000+00:00',
      },
    });
    const listed = JSON.parse((await curl(listA ?? '')).body) as { triggers: { trigger_uuid: string }[] };
    expect(listed.triggers.map((t) => t.trigger_uuid)).toEqual([SEED_UUID]);
    // EKM's example lookup uuid does not exist here: 404.
    expect((await curl(lookup ?? '')).status).toBe(404);
    // Modify renames; delete removes.
    const renamed = await curl(modify ?? '');
    expect(renamed.status).toBe(200);
    expect(JSON.parse(renamed.body).trigger.trigger_name).toBe('New trigger name');
    expect(store.get(SEED_UUID)?.trigger_name).toBe('New trigger name');
    expect((await curl(remove ?? '')).status).toBe(200);
    expect(store.all()).toHaveLength(0);
    expect((await curl(remove ?? '')).status).toBe(404);
  });

  it('looks a trigger up by uuid and pretty-prints with indent', async () => {
    await curl(seedCurls[3] ?? '');
    const res = await call('GET', `key=${DEMO_ACCOUNT_KEY}&trigger=${SEED_UUID}&indent=4`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.split('\n')[1]).toBe('    "triggers": [');
    expect(JSON.parse(text).triggers[0].trigger_uuid).toBe(SEED_UUID);
  });

  it.each([
    ['no Authorization header: 403', null, 'GET', 403],
    ['an unknown token: 403', 'nope-not-a-token', 'GET', 403],
    ['a READ token on POST: 403', READ_TOKEN, 'POST', 403],
    ['a READ token on PUT: 403', READ_TOKEN, 'PUT', 403],
    ['a READ token on DELETE: 403', READ_TOKEN, 'DELETE', 403],
    ['a READ token on GET: 200', READ_TOKEN, 'GET', 200],
  ])('answers %s', async (_what, token, method, status) => {
    const body =
      method === 'POST'
        ? { trigger: { trigger_name: 'x', conditions: [], actions: [] } }
        : method === 'DELETE'
          ? { trigger_uuid: SEED_UUID }
          : method === 'PUT'
            ? { trigger: { trigger_uuid: SEED_UUID, trigger_name: 'renamed' } }
            : undefined;
    const res = await call(method, `key=${DEMO_ACCOUNT_KEY}&gateway=${DEMO_GATEWAY_MAC}`, { token, body });
    expect(res.status).toBe(status);
    if (status === 403) expect((await res.json()) as { error: string }).toHaveProperty('error');
    expect(store.all()).toHaveLength(0);
  });

  it('fails with 403 when the key cannot see the gateway or is unknown', async () => {
    expect((await call('GET', `key=${GATEWAY_KEY}&gateway=${DEMO_GATEWAY_MAC}`)).status).toBe(403);
    expect((await call('GET', `key=bogusKey1&gateway=${DEMO_GATEWAY_MAC}`)).status).toBe(403);
    expect((await call('GET', `gateway=${DEMO_GATEWAY_MAC}`)).status).toBe(403);
    expect((await call('GET', `key=${GATEWAY_KEY}&gateway=aaaaaaaaaaaa`)).status).toBe(200);
  });

  const good = {
    trigger_name: 't',
    enabled: true,
    conditions: [{ type: 'rrule', rrule: 'DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY' }],
    actions: [{ target: 'gateway', command: 'sendEmail' }],
  };
  it.each([
    ['a body that is not JSON', 'nope', /not valid JSON/],
    ['no trigger object', { name: 'x' }, /\{"trigger"/],
    ['an empty name', { trigger: { ...good, trigger_name: '' } }, /trigger_name/],
    [
      'an unknown threshold test',
      {
        trigger: {
          ...good,
          conditions: [
            {
              type: 'data',
              source: 'meter',
              source_id: '000350000900',
              field: 'kWh_Tot',
              threshold_test: '=~',
              threshold_value: 1,
            },
          ],
        },
      },
      /threshold_test/,
    ],
    [
      'a non-number threshold',
      {
        trigger: {
          ...good,
          conditions: [
            {
              type: 'data',
              source: 'meter',
              source_id: '000350000900',
              field: 'kWh_Tot',
              threshold_test: '>',
              threshold_value: 'ten',
            },
          ],
        },
      },
      /threshold_value/,
    ],
    [
      'a relay on a v3 meter',
      {
        trigger: {
          ...good,
          actions: [
            {
              target: 'meter',
              target_id: '000000010068',
              command: 'setRelay',
              params: { relay: 'relay_1', status: 'close' },
            },
          ],
        },
      },
      /relays: none/,
    ],
    [
      'an RRULE without DTSTART',
      { trigger: { ...good, conditions: [{ type: 'rrule', rrule: 'RRULE:FREQ=DAILY' }] } },
      /DTSTART/,
    ],
  ])('fails with 400 on create with %s', async (_what, body, message) => {
    const res = await fetch(`${server.url}/api/trigger?key=${DEMO_ACCOUNT_KEY}&gateway=${DEMO_GATEWAY_MAC}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_BEARER_TOKEN}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
    expect(store.all()).toHaveLength(0);
  });

  it('fails with 400 on a malformed uuid and 404 on an unknown gateway', async () => {
    expect((await call('GET', `key=${DEMO_ACCOUNT_KEY}&trigger=XYZ`)).status).toBe(400);
    expect((await call('GET', `key=${DEMO_ACCOUNT_KEY}&gateway=bbbbbbbbbbbb`)).status).toBe(404);
    expect((await call('GET', `key=${DEMO_ACCOUNT_KEY}`)).status).toBe(400);
    expect(
      (await call('PUT', `key=${DEMO_ACCOUNT_KEY}`, { body: { trigger: { trigger_uuid: '0'.repeat(32) } } })).status,
    ).toBe(404);
  });

  it('refuses to modify an attribute configured as immutable', async () => {
    const strict = await startRouteServer([
      makeTriggerRoute(account(), clock, { store, immutableAttributes: ['conditions'] }),
    ]);
    try {
      const made = store.create(DEMO_GATEWAY_MAC, { ...good });
      const put = (trigger: Record<string, unknown>) =>
        fetch(`${strict.url}/api/trigger?key=${DEMO_ACCOUNT_KEY}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${DEMO_BEARER_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ trigger: { trigger_uuid: made.trigger_uuid, ...trigger } }),
        });
      const changed = await put({
        conditions: [{ type: 'rrule', rrule: 'DTSTART:20250101T000000Z\nRRULE:FREQ=HOURLY' }],
      });
      expect(changed.status).toBe(400);
      expect((await put({ enabled: false })).status).toBe(200);
      expect(store.get(made.trigger_uuid)?.enabled).toBe(false);
    } finally {
      await strict.close();
    }
  });
});

import type { DesiredTriggers, LiveTrigger, TriggerSpec } from '../../functions/core/triggers/model';
import { planTriggers } from '../../functions/core/triggers/plan';
import { renderPlan } from '../../functions/core/triggers/render';
import { SEED_ACTIONS, SEED_CONDITIONS } from '../fixtures/ekm/seed-trigger';

const MAC = '4016fa0500cd';
const spec = (name: string, over: Partial<TriggerSpec> = {}): TriggerSpec => ({
  name,
  enabled: true,
  conditions: [
    {
      type: 'data',
      source: 'meter',
      source_id: '000350000900',
      field: 'kWh_Tot',
      threshold_test: 'rise_eq',
      threshold_value: 10,
      duration: 0,
      hysteresis: 60,
      continuous: false,
      tolerance: 1e-6,
    },
  ],
  actions: [
    {
      target: 'meter',
      target_id: '000350000900',
      command: 'setRelay',
      params: { relay: 'relay_1', status: 'close', duration: 1 },
    },
  ],
  ...over,
});
/** What EKM returns for spec(name): EKM's documented response form (numbers as strings, no tolerance). */
const live = (name: string, uuid: string, over: Partial<LiveTrigger> = {}): LiveTrigger => ({
  trigger_uuid: uuid,
  trigger_name: name,
  conditions: SEED_CONDITIONS,
  actions: SEED_ACTIONS,
  extras: {},
  enabled: true,
  created_at: '2021-07-28T17:20:31.824621+00:00',
  updated_at: '2021-07-28T17:20:31.824621+00:00',
  ...over,
});
const desired = (triggers: TriggerSpec[]): DesiredTriggers => ({
  file: 'triggers.yaml',
  gateways: [{ mac: MAC, triggers, path: '/gateways/0' }],
});
const U1 = '1'.repeat(32);
const U2 = '2'.repeat(32);
const U3 = '3'.repeat(32);

describe('planTriggers', () => {
  it('treats EKM strings ("60") as equal to numbers (60) and absent defaults as equal: unchanged', () => {
    const plan = planTriggers(desired([spec('a')]), new Map([[MAC, [live('a', U1)]]]));
    expect(plan.gateways[0]?.changes).toEqual([{ action: 'unchanged', name: 'a', uuid: U1 }]);
    expect(plan.changesPending).toBe(false);
  });

  it('plans a create for a name the gateway lacks', () => {
    const plan = planTriggers(desired([spec('new')]), new Map());
    expect(plan.gateways[0]?.changes).toEqual([{ action: 'create', name: 'new', desired: spec('new') }]);
    expect(plan.summary.create).toBe(1);
    expect(plan.changesPending).toBe(true);
  });

  it('plans an update with a field-level diff', () => {
    const want = spec('a', { enabled: false });
    const plan = planTriggers(
      desired([want]),
      new Map([
        [
          MAC,
          [
            live('a', U1, {
              conditions: [{ ...(live('a', U1).conditions as object[])[0], hysteresis: '120', tolerance: '0.01' }],
            }),
          ],
        ],
      ]),
    );
    const change = plan.gateways[0]?.changes[0];
    expect(change).toMatchObject({ action: 'update', name: 'a', uuid: U1 });
    expect(change && 'changes' in change ? change.changes : []).toEqual([
      { path: 'conditions[0].hysteresis', before: 120, after: 60 },
      { path: 'conditions[0].tolerance', before: 0.01, after: 1e-6 },
      { path: 'enabled', before: true, after: false },
    ]);
  });

  it('diffs added and removed list entries', () => {
    const want = spec('a', { actions: [...spec('a').actions, { target: 'gateway', command: 'sendEmail' }] });
    const plan = planTriggers(desired([want]), new Map([[MAC, [live('a', U1)]]]));
    const change = plan.gateways[0]?.changes[0];
    expect(change && 'changes' in change ? change.changes : []).toEqual([
      { path: 'actions[1].command', before: undefined, after: 'sendEmail' },
      { path: 'actions[1].target', before: undefined, after: 'gateway' },
    ]);
  });

  it('leaves triggers not in the file alone without --prune, and deletes them with it', () => {
    const actual = new Map([[MAC, [live('a', U1), live('manual', U2)]]]);
    const keep = planTriggers(desired([spec('a')]), actual);
    expect(keep.gateways[0]?.changes[1]).toMatchObject({ action: 'unmanaged', name: 'manual', uuid: U2 });
    expect(keep.changesPending).toBe(false);
    const prune = planTriggers(desired([spec('a')]), actual, { prune: true });
    expect(prune.gateways[0]?.changes[1]).toMatchObject({ action: 'delete', name: 'manual', uuid: U2 });
    expect(prune.changesPending).toBe(true);
  });

  it('never touches gateways the file does not name, even with --prune', () => {
    const plan = planTriggers(desired([]), new Map([['aaaaaaaaaaaa', [live('x', U1)]]]), { prune: true });
    expect(plan.gateways).toEqual([{ mac: MAC, changes: [] }]);
  });

  it('manages the oldest of two live triggers with the same name; the copy is pruned', () => {
    const actual = new Map([
      [
        MAC,
        [
          live('a', U2, { created_at: '2024-01-01T00:00:00.000000+00:00' }),
          live('a', U1, { created_at: '2023-01-01T00:00:00.000000+00:00' }),
        ],
      ],
    ]);
    const plan = planTriggers(desired([spec('a')]), actual, { prune: true });
    expect(plan.gateways[0]?.changes).toEqual([
      { action: 'unchanged', name: 'a', uuid: U1 },
      expect.objectContaining({
        action: 'delete',
        uuid: U2,
        reason: expect.stringMatching(/another live trigger named "a"/),
      }),
    ]);
  });

  it('falls back to delete + create when an attribute cannot be modified in place, and says so', () => {
    const want = spec('a', { conditions: [{ type: 'rrule', rrule: 'DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY' }] });
    const plan = planTriggers(
      desired([want, spec('b', { enabled: false })]),
      new Map([[MAC, [live('a', U1), live('b', U3)]]]),
      {
        replaceOn: ['conditions'],
      },
    );
    expect(plan.gateways[0]?.changes[0]).toMatchObject({
      action: 'replace',
      uuid: U1,
      reason: expect.stringMatching(/cannot modify conditions in place.*deleted and created again/),
    });
    expect(plan.gateways[0]?.changes[1]).toMatchObject({ action: 'update', uuid: U3 });
    expect(renderPlan(plan)).toMatch(
      /-\/\+ replace {3}"a" \(uuid 1{32}\): the Trigger API cannot modify conditions in place/,
    );
  });

  it('renders a Terraform-style plan with totals', () => {
    const plan = planTriggers(
      desired([spec('new'), spec('a', { enabled: false }), spec('same')]),
      new Map([[MAC, [live('a', U1), live('same', U2), live('old', U3)]]]),
      { prune: true },
    );
    expect(renderPlan(plan)).toBe(
      [
        'Trigger plan for triggers.yaml (--prune)',
        '',
        'gateway 4016fa0500cd (1 unchanged)',
        '  +   create    "new"',
        `  ~   update    "a" (uuid ${U1})`,
        '        ~ enabled: true → false',
        `  -   delete    "old" (uuid ${U3}): not in the file (--prune)`,
        '',
        'Plan: 1 to create, 1 to update, 0 to replace, 1 to delete; 1 unchanged, 0 unmanaged.',
        'Changes pending: run `ekm-pipeline triggers apply` to make them.',
      ].join('\n'),
    );
  });
});

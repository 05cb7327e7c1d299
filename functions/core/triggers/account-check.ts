import { suggestFields, TRIGGER_FIELDS } from './fields';
import type { DesiredTriggers } from './model';
import type { TriggerIssue } from './parse';

/**
 * What the Account API says the key can see (the fields this check reads; the AccountApi port's
 * results fit it as they are).
 */
export interface AccountView {
  readonly gateways: readonly { readonly mac: string; readonly meters: readonly string[] }[];
  readonly meters: readonly { readonly meter: string; readonly protocol?: 'v3' | 'v4' | 'v5' }[];
}

/**
 * Check a parsed file against the account: every gateway and meter must be visible to the key,
 * meters must hang off the gateway that runs the trigger (triggers live on the gateway), relay
 * actions need a meter with relays (v3 Omnimeters have none) and fields must exist for the
 * meter's protocol. Returns the problems (empty = fine).
 */
export function checkAgainstAccount(
  desired: DesiredTriggers,
  account: AccountView,
  fieldsByProtocol: Readonly<Record<'v3' | 'v4', ReadonlySet<string>>> = TRIGGER_FIELDS,
): TriggerIssue[] {
  const file = desired.file;
  const issues: TriggerIssue[] = [];
  const gateways = new Map(account.gateways.map((g) => [g.mac.toLowerCase(), g]));
  const meters = new Map(account.meters.map((m) => [m.meter as string, m]));
  for (const g of desired.gateways) {
    const live = gateways.get(g.mac);
    if (!live) {
      issues.push({
        file,
        path: `${g.path}/mac`,
        message: `gateway ${g.mac} is not on this key's account (known: ${[...gateways.keys()].join(', ') || 'none'}); check the mac or use --key-alias for the right account`,
      });
      continue;
    }
    const onGateway = new Set<string>(live.meters);
    const meterProblem = (id: string): string | undefined => {
      if (!meters.has(id) && !onGateway.has(id)) return `meter ${id} is not on this key's account`;
      if (!onGateway.has(id))
        return `meter ${id} is not attached to gateway ${g.mac} (triggers run on the gateway, so it can only watch and switch its own meters)`;
      return undefined;
    };
    g.triggers.forEach((t, ti) => {
      const tPath = `${g.path}/triggers/${ti}`;
      t.conditions.forEach((c, ci) => {
        if (c.type !== 'data' || c.source !== 'meter') return;
        const problem = meterProblem(c.source_id);
        if (problem) {
          issues.push({ file, path: `${tPath}/conditions/${ci}/source_id`, message: `${problem}; fix source_id` });
          return;
        }
        const protocol = meters.get(c.source_id)?.protocol === 'v3' ? 'v3' : 'v4';
        const known = fieldsByProtocol[protocol];
        if (!known.has(c.field)) {
          const hint = suggestFields(c.field, known);
          issues.push({
            file,
            path: `${tPath}/conditions/${ci}/field`,
            message: `field ${JSON.stringify(c.field)} does not exist on ${protocol} meter ${c.source_id}${hint.length ? `; did you mean ${hint.join(', ')}?` : ''}`,
          });
        }
      });
      t.actions.forEach((a, ai) => {
        if (a.command !== 'setRelay') return;
        const problem = meterProblem(a.target_id);
        if (problem) {
          issues.push({ file, path: `${tPath}/actions/${ai}/target_id`, message: `${problem}; fix target_id` });
          return;
        }
        const protocol = meters.get(a.target_id)?.protocol;
        if (protocol === 'v3')
          issues.push({
            file,
            path: `${tPath}/actions/${ai}`,
            message: `setRelay on meter ${a.target_id}, a v3 Omnimeter: v3 meters have no controllable relays; target a v4/v5 meter or use a sendEmail action`,
          });
      });
    });
  }
  return issues;
}

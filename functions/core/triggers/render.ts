import type { PlanChange, TriggerPlan } from './plan';

const SYMBOL: Record<PlanChange['action'], string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  unchanged: '=',
  unmanaged: '?',
};

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** One-line totals, Terraform style. */
export function planSummaryLine(plan: TriggerPlan): string {
  const s = plan.summary;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete; ${s.unchanged} unchanged, ${s.unmanaged} unmanaged.`;
}

/**
 * Human plan text (Terraform style): per gateway, one line per change with a field-level diff.
 * Unchanged triggers are counted, not listed, so a big plan stays readable.
 */
export function renderPlan(plan: TriggerPlan, opts: { readonly footer?: boolean } = {}): string {
  const lines: string[] = [`Trigger plan for ${plan.file}${plan.prune ? ' (--prune)' : ''}`, ''];
  for (const g of plan.gateways) {
    const unchanged = g.changes.filter((c) => c.action === 'unchanged').length;
    lines.push(`gateway ${g.mac}${unchanged ? ` (${unchanged} unchanged)` : ''}`);
    for (const c of g.changes) {
      if (c.action === 'unchanged') continue;
      const label = `  ${SYMBOL[c.action].padEnd(3)} ${c.action.padEnd(9)} ${JSON.stringify(c.name)}`;
      switch (c.action) {
        case 'create':
          lines.push(label);
          break;
        case 'update':
          lines.push(`${label} (uuid ${c.uuid})`);
          for (const d of c.changes) lines.push(`        ~ ${d.path}: ${show(d.before)} → ${show(d.after)}`);
          break;
        case 'replace':
          lines.push(`${label} (uuid ${c.uuid}): ${c.reason}`);
          for (const d of c.changes) lines.push(`        ~ ${d.path}: ${show(d.before)} → ${show(d.after)}`);
          break;
        case 'delete':
        case 'unmanaged':
          lines.push(`${label} (uuid ${c.uuid}): ${c.reason}`);
          break;
      }
    }
    if (g.changes.length === 0) lines.push('  (no triggers in the file or on the gateway)');
  }
  lines.push('', planSummaryLine(plan));
  if (opts.footer ?? true)
    lines.push(
      plan.changesPending
        ? 'Changes pending: run `ekm-pipeline triggers apply` to make them.'
        : 'No changes: the gateways match the file.',
    );
  return lines.join('\n');
}

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openTriggerSync } from '../../functions/composition/triggers';
import { EkmPipelineError } from '../../functions/core/errors';
import { planSummaryLine } from '../../functions/core/triggers/render';
import type { DemoStage } from './demo-context';

/**
 * `npm start` stage: trigger sync against the local EKM cloud (started by the cloud stage):
 * validate examples/triggers.yaml (Account API checks included), plan, apply, and plan again to
 * show that nothing is left to do. Then a "portal edit" disables one trigger behind our back and
 * the drift check (the scheduled Lambda's use-case) records it in the state table (DynamoDB Local,
 * started by the lake stage) and auto-applies the fix. Same use-cases as the CLI and the Lambda.
 */
export const triggersStage: DemoStage = {
  name: 'Trigger sync (validate, plan, apply, re-plan, drift)',
  async run(ctx) {
    const config = ctx.local.config;
    if (!config)
      throw new EkmPipelineError('DEMO_ORDER', 'the trigger stage needs the local EKM cloud stage to run first');
    const root = join(ctx.stateDir, '..');
    const file = join(root, 'examples', 'triggers.yaml');
    const shown = relative(root, file);
    const wiring = await openTriggerSync(config, 'demo');
    try {
      const validated = await wiring.validate({ file: shown, text: readFileSync(file, 'utf8') });
      const plan = wiring.plan();
      const first = await plan({ desired: validated.desired });
      const applied = await wiring.apply()(first.plan);
      if (!applied.ok)
        throw new EkmPipelineError(
          'DEMO_TRIGGERS',
          `apply failed for ${applied.outcomes
            .filter((o) => o.status === 'failed')
            .map((o) => o.name)
            .join(', ')}`,
        );
      const second = await plan({ desired: validated.desired });
      const driftLines: string[] = [];
      if (config.state) {
        // Someone disables a trigger in the EKM portal: drift.
        const live = await wiring.triggers.list(validated.desired.gateways[0]?.mac ?? '');
        const victim = live.find((t) => t.trigger_name === 'Shed load above 12 kW') ?? live[0];
        if (victim)
          await wiring.triggers.modify(victim.trigger_uuid, {
            trigger_name: victim.trigger_name,
            enabled: false,
            conditions: victim.conditions as Record<string, unknown>[],
            actions: victim.actions as Record<string, unknown>[],
          });
        const { check, close } = wiring.driftCheck({
          state: config.state,
          loadDesired: async () => ({ name: shown, text: readFileSync(file, 'utf8') }),
          autoApplyGateways: new Set(validated.desired.gateways.map((g) => g.mac)),
        });
        try {
          const drift = await check();
          const rec = drift.records[0];
          const after = await check();
          driftLines.push(
            `drift check after a portal edit: ${rec?.drift ?? 0} drifted trigger(s) on ${rec?.gateway} (${rec?.changes
              .filter((c) => c.action !== 'unchanged')
              .map((c) => `${c.action} "${c.name}" ${c.paths?.join(',') ?? ''}`)
              .join(
                '; ',
              )}), auto-applied, ${rec?.remaining ?? 0} remaining; recorded as DRIFT#${rec?.gateway} in DynamoDB table ${config.state.table}`,
            `drift check again: ${after.records[0]?.drift ?? 0} drift (metric TriggerDriftTotal=${after.totalRemaining})`,
          );
        } finally {
          close();
        }
      }
      const firing = validated.firings[0];
      return [
        `validated ${shown}: ${validated.triggerCount} triggers on ${validated.desired.gateways.map((g) => g.mac).join(', ')} (schema, fields, RRULEs and Account API checks passed)${
          firing
            ? `; "${firing.trigger}" next fires ${firing.next
                .slice(0, 2)
                .map((ms) => new Date(ms).toISOString().slice(0, 16))
                .join(', ')} UTC`
            : ''
        }`,
        `first plan: ${planSummaryLine(first.plan)}`,
        `apply: ${applied.applied} change(s) made through the local Trigger API, ${applied.failed} failed`,
        `second plan: ${planSummaryLine(second.plan)} ${second.plan.changesPending ? 'UNEXPECTED changes pending' : '(nothing to do: `triggers plan` would exit 0)'}`,
        ...driftLines,
        `${wiring.requests()} HTTP requests in total; try: npx ekm-pipeline triggers plan ${shown} --config .local/ekm-pipeline.yaml`,
      ];
    } finally {
      await wiring.close();
    }
  },
};

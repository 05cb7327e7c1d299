import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { openTriggerSync, type TriggerSyncWiring, validateTriggersOffline } from '../../functions/composition/triggers';
import { pickKeyAlias } from '../../functions/config/key-alias';
import { type ProjectConfig, resolveConfigPath } from '../../functions/config/project-config';
import { EkmPipelineError, ValidationError } from '../../functions/core/errors';
import { formatIssue, TriggerFileError } from '../../functions/core/triggers/parse';
import type { TriggerPlan } from '../../functions/core/triggers/plan';
import { renderPlan } from '../../functions/core/triggers/render';
import { renderApplyResult, TriggerPermissionError } from '../../functions/use-cases/apply-triggers';
import type { ValidateTriggersResult } from '../../functions/use-cases/validate-triggers';
import { CONFIG_OPTION_HELP, findProjectConfig } from '../config-option';
import { EXIT_CHANGES_PENDING, EXIT_FAILURE, EXIT_OK, printResult, progress } from '../output';

interface TriggerOpts {
  config?: string;
  keyAlias?: string;
  json?: boolean;
  offline?: boolean;
  prune?: boolean;
  autoApprove?: boolean;
}

function findConfig(opts: TriggerOpts, required: boolean): ProjectConfig | undefined {
  return required ? findProjectConfig(opts.config) : findProjectConfig(opts.config, { required: false });
}

function triggerFile(file: string | undefined, config: ProjectConfig | undefined): string {
  if (file) return file;
  if (config?.triggers?.file) return resolveConfigPath(config, config.triggers.file);
  throw new ValidationError('FILE', 'no trigger file given and the config has no triggers.file; pass the file path');
}

function readTriggerFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ValidationError(file, 'cannot read the trigger file; check the path', { cause });
  }
}

/** validate → (plan) shared by the three commands; the wiring is closed by the caller. */
async function validateFile(
  fileArg: string | undefined,
  opts: TriggerOpts,
  needConfig: boolean,
): Promise<{ result: ValidateTriggersResult; wiring?: TriggerSyncWiring; config?: ProjectConfig; alias?: string }> {
  const config = findConfig(opts, needConfig);
  const file = triggerFile(fileArg, config);
  const text = readTriggerFile(file);
  if (!config || opts.offline) {
    if (!opts.json && !opts.offline)
      process.stderr.write('note: no project config found; Account API checks skipped (pass --config to run them)\n');
    return { result: await validateTriggersOffline({ file, text }) };
  }
  const alias = pickKeyAlias(config, opts.keyAlias);
  const wiring = await openTriggerSync(config, alias);
  try {
    const result = await wiring.validate({ file, text });
    return { result, wiring, config, alias };
  } catch (error) {
    await wiring.close();
    throw error;
  }
}

async function planWith(
  wiring: TriggerSyncWiring,
  result: ValidateTriggersResult,
  opts: TriggerOpts,
): Promise<TriggerPlan> {
  const gateways = result.desired.gateways.length;
  const bar = !opts.json && gateways > 3 ? progress('reading gateway triggers', gateways) : undefined;
  const { plan } = await wiring.plan({ onGatewayRead: () => bar?.tick() })({
    desired: result.desired,
    prune: opts.prune ?? false,
  });
  bar?.done();
  return plan;
}

function renderValidation(result: ValidateTriggersResult): string {
  const lines = [
    `${result.desired.file}: valid: ${result.triggerCount} trigger(s) on ${result.desired.gateways.length} gateway(s)${result.accountChecked ? '; gateways, meters, relays and fields checked against the Account API' : ' (Account API checks skipped)'}`,
  ];
  for (const f of result.firings) {
    lines.push(`  ${f.gateway} ${JSON.stringify(f.trigger)}: next firings (UTC)`);
    if (f.next.length === 0) lines.push('    (none: the rule has ended)');
    for (const ms of f.next) lines.push(`    ${new Date(ms).toISOString().replace('.000Z', 'Z')}`);
  }
  return lines.join('\n');
}

function validationJson(result: ValidateTriggersResult) {
  return {
    ok: true,
    file: result.desired.file,
    gateways: result.desired.gateways.length,
    triggers: result.triggerCount,
    accountChecked: result.accountChecked,
    firings: result.firings.map((f) => ({ ...f, next: f.next.map((ms) => new Date(ms).toISOString()) })),
  };
}

/** With --json, file problems go to stdout as data (and exit 1); otherwise the error propagates. */
function handleFileError(error: unknown, opts: TriggerOpts): number {
  if (opts.json && error instanceof TriggerFileError) {
    printResult(opts, { ok: false, issues: error.issues, messages: error.issues.map(formatIssue) }, () => '');
    return EXIT_FAILURE;
  }
  throw error;
}

async function confirm(plan: TriggerPlan, opts: TriggerOpts): Promise<void> {
  if (opts.autoApprove) return;
  if (!process.stdin.isTTY)
    throw new EkmPipelineError(
      'CONFIRMATION_REQUIRED',
      'refusing to apply without confirmation: stdin is not a terminal. Review `ekm-pipeline triggers plan` and re-run with --auto-approve',
    );
  const s = plan.summary;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `Apply ${s.create} create, ${s.update} update, ${s.replace} replace, ${s.delete} delete? Only 'yes' is accepted: `,
    );
    if (answer.trim() !== 'yes') throw new EkmPipelineError('CANCELLED', 'apply cancelled; nothing was applied');
  } finally {
    rl.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--key-alias <alias>', 'which configured key (and its Trigger API token) to use; default: the only key')
    .option('--json', 'print a JSON document instead of text', false);
}

/** `ekm-pipeline triggers validate|plan|apply [FILE]`: gateway triggers as code. */
/** Validate the file; on failure report it (human or --json), set the exit code and return undefined. */
async function validateOrReport(
  file: string | undefined,
  opts: TriggerOpts,
  online: boolean,
): Promise<Awaited<ReturnType<typeof validateFile>> | undefined> {
  try {
    return await validateFile(file, opts, online);
  } catch (error) {
    process.exitCode = handleFileError(error, opts);
    return undefined;
  }
}

export function registerTriggers(program: Command): void {
  const triggers = program
    .command('triggers')
    .description('Gateway triggers as code: validate, plan and apply a desired-state file against the Trigger API');

  common(
    triggers
      .command('validate')
      .argument('[file]', 'desired-state trigger file (YAML or JSON); default: triggers.file of the config')
      .description(
        'Check a trigger file: schema, names, thresholds, fields, RRULEs (next 5 firings) and, with a config, the account',
      ),
  )
    .option('--offline', 'skip the Account API checks', false)
    .action(async (file: string | undefined, opts: TriggerOpts) => {
      const validated = await validateOrReport(file, opts, false);
      if (!validated) return;
      await validated.wiring?.close();
      printResult(opts, validationJson(validated.result), () => renderValidation(validated.result));
      process.exitCode = EXIT_OK;
    });

  common(
    triggers
      .command('plan')
      .argument('[file]', 'desired-state trigger file; default: triggers.file of the config')
      .description('Show what apply would change (exit 0: nothing to do, 2: changes pending, 1: error)'),
  )
    .option('--prune', 'plan deletes for live triggers of the listed gateways that the file does not name', false)
    .action(async (file: string | undefined, opts: TriggerOpts) => {
      const validated = await validateOrReport(file, opts, true);
      if (!validated) return;
      const wiring = validated.wiring as TriggerSyncWiring;
      try {
        const plan = await planWith(wiring, validated.result, opts);
        printResult(opts, plan, () => renderPlan(plan));
        process.exitCode = plan.changesPending ? EXIT_CHANGES_PENDING : EXIT_OK;
      } finally {
        await wiring.close();
      }
    });

  common(
    triggers
      .command('apply')
      .argument('[file]', 'desired-state trigger file; default: triggers.file of the config')
      .description('Make the gateways match the file through the Trigger API (asks first unless --auto-approve)'),
  )
    .option('--prune', 'also delete live triggers of the listed gateways that the file does not name', false)
    .option('--auto-approve', 'apply without asking (required when stdin is not a terminal)', false)
    .action(async (file: string | undefined, opts: TriggerOpts) => {
      const validated = await validateOrReport(file, opts, true);
      if (!validated) return;
      const wiring = validated.wiring as TriggerSyncWiring;
      const alias = validated.alias ?? wiring.key.alias;
      try {
        const plan = await planWith(wiring, validated.result, opts);
        if (!plan.changesPending) {
          printResult(
            opts,
            { plan, apply: { ok: true, outcomes: [], applied: 0, failed: 0 } },
            () => `${renderPlan(plan)}\nApply: nothing to do.`,
          );
          process.exitCode = EXIT_OK;
          return;
        }
        // READ tokens fail here, before the question and before any change.
        if (!(await wiring.triggers.canWrite())) throw new TriggerPermissionError(alias);
        if (!opts.json) process.stdout.write(`${renderPlan(plan, { footer: false })}\n\n`);
        await confirm(plan, opts);
        const work = plan.summary.create + plan.summary.update + plan.summary.replace + plan.summary.delete;
        const bar = !opts.json && work > 20 ? progress('applying', work) : undefined;
        const result = await wiring.apply({ onChangeDone: () => bar?.tick() })(plan);
        bar?.done();
        printResult(opts, { plan, apply: result }, () => renderApplyResult(result));
        process.exitCode = result.ok ? EXIT_OK : EXIT_FAILURE;
      } finally {
        await wiring.close();
      }
    });
}

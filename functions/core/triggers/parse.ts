import { ConfigTextSyntaxError, parseConfigText } from '@ekm-pipeline/shared/config-text';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../../schemas/triggers.schema.json';
import { ValidationError } from '../errors';
import { ALL_TRIGGER_FIELDS, suggestFields } from './fields';
import {
  type DesiredTriggers,
  type GatewayTriggers,
  THRESHOLD_TESTS,
  type ThresholdTest,
  TRIGGER_DEFAULTS,
  type TriggerAction,
  type TriggerCondition,
  type TriggerSpec,
} from './model';
import { checkRrule } from './rrule-check';

/** One problem in a trigger file: where (file + JSON pointer) and what to do about it. */
export interface TriggerIssue {
  readonly file: string;
  /** JSON pointer inside the file, e.g. `/gateways/0/triggers/2/conditions/0/field`. */
  readonly path: string;
  readonly message: string;
}

/** A trigger file (or its checks against the account) has problems; nothing may be applied. */
export class TriggerFileError extends ValidationError {
  override readonly name = 'ValidationError';
  readonly issues: readonly TriggerIssue[];
  constructor(file: string, issues: readonly TriggerIssue[]) {
    super(
      file,
      `${issues.length} problem${issues.length === 1 ? '' : 's'} in the trigger file; nothing was applied:\n  ${issues
        .map(formatIssue)
        .join('\n  ')}`,
    );
    this.issues = issues;
  }
}

export function formatIssue(issue: TriggerIssue): string {
  return `${issue.file}:${issue.path || '/'}: ${issue.message}`;
}

/** The next firings of one RRULE condition, shown by `triggers validate`. */
export interface RruleFirings {
  readonly gateway: string;
  readonly trigger: string;
  readonly path: string;
  readonly rrule: string;
  /** UTC epoch ms. */
  readonly next: readonly number[];
}

export interface ParsedTriggerFile {
  readonly desired: DesiredTriggers;
  readonly firings: readonly RruleFirings[];
}

export interface ParseTriggerOptions {
  /** "Now" for the next RRULE firings. */
  readonly nowMs: number;
  /** Known field names; defaults to every v3/v4 field (the account check narrows by protocol). */
  readonly fields?: ReadonlySet<string>;
}

// Compiled on first use, so commands that never read a trigger file (`--help`) do not pay for it.
let compiled: ValidateFunction | undefined;
const schemaValidator = () => (compiled ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema));

/**
 * Parse and check a desired-state trigger file (YAML or JSON text): schema, unique gateways and
 * names, threshold tests, field names, RRULEs. Collects every problem before failing, so one run
 * shows them all. Throws {@link TriggerFileError}; returns the model with defaults filled in.
 */
export function parseTriggerFile(text: string, file: string, opts: ParseTriggerOptions): ParsedTriggerFile {
  let raw: unknown;
  try {
    raw = parseConfigText(text);
  } catch (error) {
    // Position and problem only (packages/shared/src/config-text.ts): the parser's message would quote the line.
    if (!(error instanceof ConfigTextSyntaxError)) throw error;
    throw new TriggerFileError(file, [{ file, path: '', message: `not valid YAML/JSON: ${error.message}` }]);
  }
  const validateSchema = schemaValidator();
  if (!validateSchema(raw)) throw new TriggerFileError(file, schemaIssues(file, validateSchema.errors ?? []));
  return checkSemantics(raw as unknown as RawFile, file, opts);
}

interface RawFile {
  version: 1;
  gateways: { mac: string; triggers: RawTrigger[] }[];
}
interface RawTrigger {
  name: string;
  enabled?: boolean;
  conditions: Record<string, unknown>[];
  actions: Record<string, unknown>[];
}

function schemaIssues(file: string, errors: readonly ErrorObject[]): TriggerIssue[] {
  // A value failing the number `anyOf` reports three errors; say it once, plainly.
  const numberPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out = new Map<string, TriggerIssue>();
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const path = e.instancePath;
    let message: string;
    if (numberPaths.has(path)) {
      if (e.keyword !== 'anyOf') continue;
      message = `must be a number (got ${JSON.stringify(e.data)}); write e.g. 10 or 0.5`;
    } else if (e.keyword === 'additionalProperties') {
      message = `unknown property ${JSON.stringify(e.params.additionalProperty)}; remove it or check its spelling`;
    } else if (e.keyword === 'required') {
      message = `missing required property ${JSON.stringify(e.params.missingProperty)}`;
    } else if (e.keyword === 'enum') {
      message = `is ${JSON.stringify(e.data)}; must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `is ${JSON.stringify(e.data)}; must be ${JSON.stringify(e.params.allowedValue)}`;
    } else if (e.keyword === 'pattern' && /\/mac$/.test(path)) {
      message = `is ${JSON.stringify(e.data)}; a gateway mac is 12 lower-case hex digits without colons, e.g. "4016fa0500cd"`;
    } else if (e.keyword === 'pattern' && /(source_id|target_id)$/.test(path)) {
      message = `is ${JSON.stringify(e.data)}; a meter id is the 12-digit zero-padded address, e.g. "000350000900"`;
    } else {
      message = `${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${JSON.stringify(e.data)})` : ''}`;
    }
    out.set(`${path}|${message}`, { file, path, message });
  }
  return [...out.values()];
}

function num(value: unknown, fallback: number): number {
  return value === undefined ? fallback : Number(value);
}

function checkSemantics(raw: RawFile, file: string, opts: ParseTriggerOptions): ParsedTriggerFile {
  const issues: TriggerIssue[] = [];
  const firings: RruleFirings[] = [];
  const fields = opts.fields ?? ALL_TRIGGER_FIELDS;
  // Files often repeat a schedule on many gateways: check each distinct rule once.
  const rruleChecks = new Map<string, ReturnType<typeof checkRrule>>();
  const macs = new Map<string, number>();
  const gateways: GatewayTriggers[] = raw.gateways.map((g, gi) => {
    const gPath = `/gateways/${gi}`;
    const seenMac = macs.get(g.mac);
    if (seenMac !== undefined)
      issues.push({
        file,
        path: `${gPath}/mac`,
        message: `gateway ${g.mac} is listed twice (also at /gateways/${seenMac}); merge its triggers into one entry`,
      });
    else macs.set(g.mac, gi);
    const names = new Map<string, number>();
    const triggers: TriggerSpec[] = g.triggers.map((t, ti) => {
      const tPath = `${gPath}/triggers/${ti}`;
      const seen = names.get(t.name);
      if (seen !== undefined)
        issues.push({
          file,
          path: `${tPath}/name`,
          message: `duplicate trigger name ${JSON.stringify(t.name)} in gateway ${g.mac} (also at ${gPath}/triggers/${seen}); a name identifies a trigger within its gateway, so rename one`,
        });
      else names.set(t.name, ti);
      const conditions = t.conditions.map((c, ci): TriggerCondition => {
        const cPath = `${tPath}/conditions/${ci}`;
        if (c.type === 'rrule') {
          const rrule = String(c.rrule);
          const check = rruleChecks.get(rrule) ?? checkRrule(rrule, opts.nowMs);
          rruleChecks.set(rrule, check);
          if (!check.ok) issues.push({ file, path: `${cPath}/rrule`, message: `RRULE ${check.message}` });
          else firings.push({ gateway: g.mac, trigger: t.name, path: `${cPath}/rrule`, rrule, next: check.next });
          return { type: 'rrule', rrule };
        }
        const test = String(c.threshold_test);
        if (!(THRESHOLD_TESTS as readonly string[]).includes(test))
          issues.push({
            file,
            path: `${cPath}/threshold_test`,
            message: `unknown threshold test ${JSON.stringify(test)}; use one of ${THRESHOLD_TESTS.join(' ')}`,
          });
        const field = String(c.field);
        if (!fields.has(field)) {
          const hint = suggestFields(field, fields);
          issues.push({
            file,
            path: `${cPath}/field`,
            message: `unknown EKM field ${JSON.stringify(field)}${hint.length ? `; did you mean ${hint.join(', ')}?` : '; use an EKM field name such as kWh_Tot or RMS_Watts_Tot'}`,
          });
        }
        return {
          type: 'data',
          source: c.source as 'meter' | 'iostack',
          source_id: String(c.source_id),
          field,
          threshold_test: test as ThresholdTest,
          threshold_value: Number(c.threshold_value),
          duration: num(c.duration, TRIGGER_DEFAULTS.duration),
          hysteresis: num(c.hysteresis, TRIGGER_DEFAULTS.hysteresis),
          continuous: (c.continuous as boolean | undefined) ?? TRIGGER_DEFAULTS.continuous,
          tolerance: num(c.tolerance, TRIGGER_DEFAULTS.tolerance),
        };
      });
      const actions = t.actions.map((a): TriggerAction => {
        if (a.command === 'sendEmail') return { target: 'gateway', command: 'sendEmail' };
        const params = a.params as { relay: string; status: 'open' | 'close'; duration?: number };
        return {
          target: 'meter',
          target_id: String(a.target_id),
          command: 'setRelay',
          params: {
            relay: params.relay,
            status: params.status,
            ...(params.duration !== undefined ? { duration: params.duration } : {}),
          },
        };
      });
      return { name: t.name, enabled: t.enabled ?? TRIGGER_DEFAULTS.enabled, conditions, actions };
    });
    return { mac: g.mac, triggers, path: gPath };
  });
  if (issues.length > 0) throw new TriggerFileError(file, issues);
  return { desired: { file, gateways }, firings };
}

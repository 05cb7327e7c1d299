import { type AccountView, checkAgainstAccount } from '../core/triggers/account-check';
import { type ParsedTriggerFile, parseTriggerFile, TriggerFileError } from '../core/triggers/parse';
import type { Clock } from '../ports/clock';
import type { AccountApi, EkmKey } from '../ports/ekm-api';

export interface ValidateTriggersDeps {
  readonly clock: Clock;
  /** When given, gateways, meters, relays and per-protocol fields are checked against the account. */
  readonly account?: { readonly api: AccountApi; readonly key: EkmKey };
}

export interface ValidateTriggersInput {
  /** File name for messages (as the user wrote it). */
  readonly file: string;
  readonly text: string;
}

export interface ValidateTriggersResult extends ParsedTriggerFile {
  /** True when the Account API checks ran. */
  readonly accountChecked: boolean;
  readonly triggerCount: number;
}

/**
 * Validate a desired-state trigger file.
 *
 * Input: the file's text and name. Output: the parsed model, the next 5 firings of every RRULE,
 * whether the account was consulted. Throws TriggerFileError listing every problem.
 * 1. Parse YAML/JSON, check the schema, names, threshold tests, fields and RRULEs (core).
 * 2. With an account: fetch gateways and meters once, check macs, meter ids, relays (no relay
 *    actions on v3 meters) and fields per meter protocol.
 */
export function makeValidateTriggers(deps: ValidateTriggersDeps) {
  return async (input: ValidateTriggersInput): Promise<ValidateTriggersResult> => {
    const parsed = parseTriggerFile(input.text, input.file, { nowMs: deps.clock.now() });
    let accountChecked = false;
    if (deps.account) {
      const [gateways, meters] = await Promise.all([
        deps.account.api.gateways(deps.account.key),
        deps.account.api.meters(deps.account.key),
      ]);
      const view: AccountView = { gateways, meters };
      const issues = checkAgainstAccount(parsed.desired, view);
      if (issues.length > 0) throw new TriggerFileError(input.file, issues);
      accountChecked = true;
    }
    const triggerCount = parsed.desired.gateways.reduce((n, g) => n + g.triggers.length, 0);
    return { ...parsed, accountChecked, triggerCount };
  };
}

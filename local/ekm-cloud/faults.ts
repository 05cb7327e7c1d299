import { ValidationError } from '../../functions/core/errors';
import { hashUnit } from './simulator';

/**
 * Fault injection for the local EKM cloud, per run (CLI flags, a JSON file, or `setFaults` in
 * tests). Every decision is a hash of (seed, request number), so a run with the same requests in the
 * same order sees the same faults. `sequence` scripts the first requests exactly (tests use it).
 */
export type RequestFault = 'none' | '429' | '5xx' | 'reset' | 'truncate' | 'slow';

export const REQUEST_FAULTS: readonly RequestFault[] = ['none', '429', '5xx', 'reset', 'truncate', 'slow'];

export interface FaultConfig {
  readonly seed?: number;
  /** Added to every response, ms. */
  readonly latencyMs?: number;
  /** Rates 0..1 per request; their sum must be ≤ 1. */
  readonly rate429?: number;
  /** `Retry-After` seconds sent with 429 (default 1). */
  readonly retryAfterSec?: number;
  readonly rate5xx?: number;
  /** Connection destroyed before any response byte. */
  readonly rateReset?: number;
  /** A 200 whose JSON body stops halfway (well-formed HTTP, broken JSON). */
  readonly rateTruncate?: number;
  /** The body stalls for `slowBodyMs` after its first bytes (past a client's body timeout). */
  readonly rateSlowBody?: number;
  readonly slowBodyMs?: number;
  /** Realtime polls whose ReadData comes shuffled. */
  readonly rateOutOfOrder?: number;
  /** Realtime polls that repeat reads the caller already has (at or before `since`). */
  readonly rateRepeat?: number;
  /** Faults for the first requests, in order; after it, the rates apply. */
  readonly sequence?: readonly RequestFault[];
  /** Path prefixes faults apply to (default: every path). */
  readonly paths?: readonly string[];
}

const RATE_KEYS = [
  'rate429',
  'rate5xx',
  'rateReset',
  'rateTruncate',
  'rateSlowBody',
  'rateOutOfOrder',
  'rateRepeat',
] as const;
const NUMBER_KEYS = ['seed', 'latencyMs', 'retryAfterSec', 'slowBodyMs', ...RATE_KEYS] as const;

/** Validate a fault config from JSON/flags; errors name the field, the value and the fix. */
export function parseFaultConfig(raw: unknown, source: string): FaultConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(source, 'a fault config must be a JSON object such as {"rate429": 0.1, "latencyMs": 50}');
  }
  const obj = raw as Record<string, unknown>;
  const allowed = new Set<string>([...NUMBER_KEYS, 'sequence', 'paths']);
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key))
      throw new ValidationError(`${source}: ${key}`, `unknown fault setting; known: ${[...allowed].join(', ')}`);
  }
  for (const key of NUMBER_KEYS) {
    const v = obj[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ValidationError(`${source}: ${key}`, `must be a non-negative number, got ${JSON.stringify(v)}`);
    }
    if (key.startsWith('rate') && v > 1) throw new ValidationError(`${source}: ${key}`, `a rate is 0..1, got ${v}`);
  }
  const requestRates = ['rate429', 'rate5xx', 'rateReset', 'rateTruncate', 'rateSlowBody'] as const;
  const sum = requestRates.reduce((s, k) => s + ((obj[k] as number | undefined) ?? 0), 0);
  if (sum > 1)
    throw new ValidationError(
      `${source}: rates`,
      `rate429+rate5xx+rateReset+rateTruncate+rateSlowBody must be ≤ 1, got ${sum}`,
    );
  if (obj.sequence !== undefined) {
    if (!Array.isArray(obj.sequence) || obj.sequence.some((f) => !REQUEST_FAULTS.includes(f as RequestFault))) {
      throw new ValidationError(`${source}: sequence`, `must be a list of ${REQUEST_FAULTS.join(' | ')}`);
    }
  }
  if (obj.paths !== undefined && (!Array.isArray(obj.paths) || obj.paths.some((p) => typeof p !== 'string'))) {
    throw new ValidationError(`${source}: paths`, 'must be a list of path prefixes such as ["/readMeter"]');
  }
  return obj as FaultConfig;
}

export class FaultInjector {
  private requestNo = 0;
  private pollNo = 0;
  readonly injected: Record<RequestFault | 'outOfOrder' | 'repeat', number> = {
    none: 0,
    '429': 0,
    '5xx': 0,
    reset: 0,
    truncate: 0,
    slow: 0,
    outOfOrder: 0,
    repeat: 0,
  };

  constructor(readonly config: FaultConfig = {}) {}

  private applies(path: string): boolean {
    const paths = this.config.paths;
    return !paths || paths.length === 0 || paths.some((p) => path.startsWith(p));
  }

  /** The fault for the next request to `path`. */
  pick(path: string): RequestFault {
    if (!this.applies(path)) return 'none';
    const n = this.requestNo++;
    const seq = this.config.sequence ?? [];
    let fault: RequestFault = 'none';
    if (n < seq.length) fault = seq[n] ?? 'none';
    else {
      const u = hashUnit(this.config.seed ?? 0, n, 0x5eed);
      let edge = 0;
      const c = this.config;
      for (const [kind, rate] of [
        ['429', c.rate429],
        ['5xx', c.rate5xx],
        ['reset', c.rateReset],
        ['truncate', c.rateTruncate],
        ['slow', c.rateSlowBody],
      ] as const) {
        edge += rate ?? 0;
        if (u < edge) {
          fault = kind;
          break;
        }
      }
    }
    this.injected[fault]++;
    return fault;
  }

  /** Out-of-order / repeat decisions for the next realtime poll. */
  poll(): { shuffle: boolean; repeat: boolean; salt: number } {
    const n = this.pollNo++;
    const seed = this.config.seed ?? 0;
    const shuffle = hashUnit(seed, n, 0x0dd) < (this.config.rateOutOfOrder ?? 0);
    const repeat = hashUnit(seed, n, 0x2e9) < (this.config.rateRepeat ?? 0);
    if (shuffle) this.injected.outOfOrder++;
    if (repeat) this.injected.repeat++;
    return { shuffle, repeat, salt: n };
  }
}

import type { MeterId } from '../readings/meter-id';

/**
 * The value types of the EKM API results, defined in core so pure code can use them without
 * importing ports (test/unit/architecture.test.ts); `ports/ekm-api.ts` re-exports them.
 */
export type SummaryReport = '15' | 'hr' | 'dy' | 'wk' | 'mo' | 'range';

/** One summary bucket: EKM's aggregate names as keys (`kWh_Tot_Diff`, `RMS_Volts_Ln_1_Average`, ...). */
export interface SummaryBucket {
  readonly meter: MeterId;
  readonly startMs: number;
  readonly endMs: number;
  readonly report: SummaryReport;
  readonly values: Readonly<Record<string, number>>;
}

/** A meter of a key (Account API). */
export interface AccountMeter {
  readonly meter: MeterId;
  readonly gateway?: string;
  readonly protocol?: 'v3' | 'v4' | 'v5';
}

/** A gateway of a key with its meters (Account API). */
export interface AccountGateway {
  readonly mac: string;
  readonly name?: string;
  readonly meters: readonly MeterId[];
}

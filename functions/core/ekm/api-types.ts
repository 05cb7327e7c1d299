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

/** A Realtime API query (the client batches meters and validates every parameter first). */
export interface RealtimeQuery {
  readonly meters: readonly MeterId[];
  readonly ver?: 'v3' | 'v4';
  /** Reads per meter, 1..1000 (default 1). */
  readonly cnt?: number;
  /** Only reads strictly newer than this UTC epoch ms. */
  readonly sinceMs?: number;
  /** Only reads at or before this UTC epoch ms. */
  readonly untilMs?: number;
  readonly fields?: readonly string[];
  /** IANA zone for EKM's Date/Time strings (sent with `/` as `~`). */
  readonly tz?: string;
}

/** A Summary API query (the client pages through `limit`/`offset`). */
export interface SummaryQuery {
  readonly meters: readonly MeterId[];
  readonly report: SummaryReport;
  /** Inclusive start and exclusive end, UTC epoch ms (sent as YYYYMMDDhhmm in `timezone`). */
  readonly startMs: number;
  readonly endMs: number;
  readonly timezone?: string;
  /** Field names, `*` wildcards allowed (e.g. `kWh_Tot*`). */
  readonly fields?: readonly string[];
}

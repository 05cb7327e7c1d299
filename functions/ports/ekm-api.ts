import type { AccountGateway, AccountMeter, SummaryBucket, SummaryReport } from '../core/ekm/api-types';
import type { MeterId } from '../core/readings/meter-id';
import type { Reading } from '../core/readings/reading';

// The result value types live in core (pure code uses them); the port re-exports them.
export type { AccountGateway, AccountMeter, SummaryBucket, SummaryReport };

/**
 * The EKM Push cloud as the use-cases see it. Implementations live in adapters/ekm/ and talk HTTP
 * through the HttpClient port; the key arrives resolved, with its non-secret alias for errors.
 */
export interface EkmKey {
  readonly alias: string;
  /** The secret EKM Push key. Never logged, never in an error message. */
  readonly key: string;
}

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

export interface RealtimeApi {
  /** All reads matching the query, across as many batched requests as needed. Order: by meter, then time. */
  read(key: EkmKey, query: RealtimeQuery): Promise<Reading[]>;
}

export interface SummaryApi {
  /** All buckets in the range; paging (`limit`/`offset`) is handled inside. */
  read(key: EkmKey, query: SummaryQuery): Promise<SummaryBucket[]>;
}

export interface AccountApi {
  meters(key: EkmKey): Promise<AccountMeter[]>;
  gateways(key: EkmKey): Promise<AccountGateway[]>;
}

import type {
  AccountGateway,
  AccountMeter,
  RealtimeQuery,
  SummaryBucket,
  SummaryQuery,
  SummaryReport,
} from '../core/ekm/api-types';
import type { ParsedReadResponse, RealtimeRejection } from '../core/ekm/realtime';
import type { ColumnBatchBuilder } from '../core/parquet/column-batch';
import type { Rejected } from '../core/parquet/rows';
import type { Reading } from '../core/readings/reading';

// The query and result value types live in core (pure code uses them); the port re-exports them.
export type {
  AccountGateway,
  AccountMeter,
  ParsedReadResponse,
  RealtimeQuery,
  RealtimeRejection,
  SummaryBucket,
  SummaryQuery,
  SummaryReport,
};

/**
 * The EKM Push cloud as the use-cases see it. Implementations live in adapters/ekm/ and talk HTTP
 * through the HttpClient port; the key arrives resolved, with its non-secret alias for errors.
 */
export interface EkmKey {
  readonly alias: string;
  /** The secret EKM Push key. Never logged, never in an error message. */
  readonly key: string;
}

export interface RealtimeApi {
  /** All reads matching the query, across as many batched requests as needed. Order: by meter, then time. */
  read(key: EkmKey, query: RealtimeQuery): Promise<Reading[]>;
  /**
   * Like `read`, but a malformed read comes back in `rejected` (with its reason and raw JSON) instead
   * of failing the call, so the caller can quarantine it. Optional: without it, `read` is strict.
   */
  readWithRejections?(key: EkmKey, query: RealtimeQuery): Promise<ParsedReadResponse>;
  /**
   * Like `readWithRejections`, but each response body goes straight into `builder`'s typed columns
   * (core/ekm/realtime-columns.ts `parseRealtimeInto`): no object per read. Resolves to the reads
   * the parser refused and the reads the lake refused. Optional.
   */
  readInto?(key: EkmKey, query: RealtimeQuery, builder: ColumnBatchBuilder): Promise<RealtimeColumnsRead>;
}

/** What {@link RealtimeApi.readInto} refused: parser rejections (with raw JSON) and lake rejections. */
export interface RealtimeColumnsRead {
  readonly rejected: RealtimeRejection[];
  readonly lakeRejected: Rejected[];
}

export interface SummaryApi {
  /** All buckets in the range; paging (`limit`/`offset`) is handled inside. */
  read(key: EkmKey, query: SummaryQuery): Promise<SummaryBucket[]>;
}

export interface AccountApi {
  meters(key: EkmKey): Promise<AccountMeter[]>;
  gateways(key: EkmKey): Promise<AccountGateway[]>;
}

import { EkmResponseError } from '../../core/ekm/ekm-errors';
import {
  buildReadRequest,
  type ParseContext,
  type ParsedReadResponse,
  parseReadResponseWithRejections,
  planRealtimeBatches,
  validateRealtimeQuery,
} from '../../core/ekm/realtime';
import { parseRealtimeInto } from '../../core/ekm/realtime-columns';
import type { ColumnBatchBuilder } from '../../core/parquet/column-batch';
import type { Reading } from '../../core/readings/reading';
import type { EkmKey, RealtimeApi, RealtimeColumnsRead, RealtimeQuery } from '../../ports/ekm-api';
import type { HttpClient } from '../../ports/http-client';
import { ekmGet, mapLimit } from './common';

export interface RealtimeClientOptions {
  /** API host, e.g. https://api.ekmpush.com or the local EKM cloud's URL. */
  readonly baseUrl: string;
  /** Meters per request (default 25). */
  readonly batchSize?: number;
  /** Batches issued at once (default 16); the HttpClient still bounds per-host concurrency. */
  readonly parallelBatches?: number;
}

/** Realtime API client: validates, batches meters, parses into readings ordered by meter then time. */
export class EkmRealtimeClient implements RealtimeApi {
  constructor(
    private readonly http: HttpClient,
    private readonly opts: RealtimeClientOptions,
  ) {}

  /** Strict: a malformed read fails the call (an EkmResponseError naming the meter, field and value). */
  async read(key: EkmKey, query: RealtimeQuery): Promise<Reading[]> {
    const { readings, rejected } = await this.readWithRejections(key, query);
    const first = rejected[0];
    if (first) throw new EkmResponseError('realtime', first.reason, [key.key]);
    return readings;
  }

  /** Every good read, plus the malformed ones with their reasons (for quarantine); order: by meter, then time. */
  async readWithRejections(key: EkmKey, query: RealtimeQuery): Promise<ParsedReadResponse> {
    const results = await this.eachBody(key, query, parseReadResponseWithRejections);
    const order = new Map(query.meters.map((m, i) => [m, i]));
    return {
      readings: inRequestOrder(
        results.flatMap((r) => r.readings),
        order,
      ),
      rejected: inRequestOrder(
        results.flatMap((r) => r.rejected),
        order,
      ),
    };
  }

  /**
   * The columnar read (RealtimeApi.readInto): the same requests as readWithRejections, each body
   * parsed into `builder` as it arrives. Parsing is synchronous, so bodies never interleave in the
   * builder; rows come in response order, which the lake writer sorts anyway (write-readings.ts).
   */
  async readInto(key: EkmKey, query: RealtimeQuery, builder: ColumnBatchBuilder): Promise<RealtimeColumnsRead> {
    const rejected: RealtimeColumnsRead['rejected'] = [];
    const lakeRejected: RealtimeColumnsRead['lakeRejected'] = [];
    await this.eachBody(key, query, (body, ctx) => {
      const parsed = parseRealtimeInto(body, ctx, builder);
      for (const r of parsed.rejected) rejected.push(r);
      for (const r of parsed.lakeRejected) lakeRejected.push(r);
    });
    return { rejected, lakeRejected };
  }

  /**
   * The requests of one query (batches of meters, `parallelBatches` at a time), each answer handed to
   * `parse` with its context (alias, meters asked, window, secrets to redact) as it arrives.
   */
  private async eachBody<T>(
    key: EkmKey,
    query: RealtimeQuery,
    parse: (body: string, ctx: ParseContext) => T,
  ): Promise<T[]> {
    validateRealtimeQuery(query);
    const batches = planRealtimeBatches(query.meters, this.opts.batchSize ?? 25);
    const secrets = [key.key];
    return mapLimit(batches, this.opts.parallelBatches ?? 16, async (meters) => {
      const url = buildReadRequest(this.opts.baseUrl, key.key, { ...query, meters });
      const res = await ekmGet(this.http, url, 'realtime', secrets, meters);
      return parse(res.body, {
        via: key.alias,
        endpoint: 'realtime',
        meters,
        secrets,
        ...(query.sinceMs !== undefined ? { sinceMs: query.sinceMs } : {}),
        ...(query.untilMs !== undefined ? { untilMs: query.untilMs } : {}),
      });
    });
  }
}

/**
 * Order by the meter's position in the request (stable: within a meter the parser already sorted
 * by time). Batches follow the request order and EKM answers in it, so check before sorting.
 */
function inRequestOrder<T extends { readonly meter: string }>(items: T[], order: ReadonlyMap<string, number>): T[] {
  let last = -1;
  let sorted = true;
  for (const item of items) {
    const rank = order.get(item.meter) ?? 0;
    if (rank < last) {
      sorted = false;
      break;
    }
    last = rank;
  }
  return sorted ? items : items.sort((a, b) => (order.get(a.meter) ?? 0) - (order.get(b.meter) ?? 0));
}

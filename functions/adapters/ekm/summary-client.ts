import { planRealtimeBatches } from '../../core/ekm/realtime';
import {
  buildSummaryRequest,
  DEFAULT_SUMMARY_PAGE,
  nextSummaryOffset,
  parseSummaryResponse,
  validateSummaryQuery,
} from '../../core/ekm/summary';
import type { EkmKey, SummaryApi, SummaryBucket, SummaryQuery } from '../../ports/ekm-api';
import type { HttpClient } from '../../ports/http-client';
import { ekmGet, mapLimit } from './common';

export interface SummaryClientOptions {
  /** Summary host, e.g. https://summary.ekmpush.com or the local EKM cloud's URL. */
  readonly baseUrl: string;
  /** Records per page (`limit`, default 1000). */
  readonly pageSize?: number;
  /** Meters per request (`bulk=1` when more than one; default 25). */
  readonly batchSize?: number;
  /** Safety stop against a server that never ends paging (default 10,000 pages). */
  readonly maxPages?: number;
}

/** Summary API client: validates, batches meters, walks `limit`/`offset` pages for the caller. */
export class EkmSummaryClient implements SummaryApi {
  constructor(
    private readonly http: HttpClient,
    private readonly opts: SummaryClientOptions,
  ) {}

  async read(key: EkmKey, query: SummaryQuery): Promise<SummaryBucket[]> {
    validateSummaryQuery(query);
    const limit = this.opts.pageSize ?? DEFAULT_SUMMARY_PAGE;
    const secrets = [key.key];
    const batches = planRealtimeBatches(query.meters, this.opts.batchSize ?? 25);
    const results = await mapLimit(batches, 4, async (meters) => {
      const out: SummaryBucket[] = [];
      let offset: number | undefined = 0;
      for (let page = 0; offset !== undefined; page++) {
        if (page >= (this.opts.maxPages ?? 10_000)) break;
        const url = buildSummaryRequest(this.opts.baseUrl, key.key, { ...query, meters }, { limit, offset });
        const res = await ekmGet(this.http, url, 'summary', secrets, meters);
        const buckets = parseSummaryResponse(res.body, { report: query.report, meters, secrets });
        out.push(...buckets);
        offset = nextSummaryOffset({ limit, offset }, buckets.length);
      }
      return out;
    });
    const order = new Map(query.meters.map((m, i) => [m, i]));
    return results
      .flat()
      .sort((a, b) => (order.get(a.meter) ?? 0) - (order.get(b.meter) ?? 0) || a.startMs - b.startMs);
  }
}

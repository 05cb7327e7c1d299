import { keyEntry } from '../../config/key-alias';
import type { EkmEndpoints, ProjectConfig } from '../../config/project-config';
import type { EkmKey } from '../../ports/ekm-api';
import type { SecretResolver } from '../../ports/secret-resolver';
import { UndiciHttpClient, type UndiciHttpClientOptions } from '../undici-http-client';
import { EkmAccountClient } from './account-client';
import { EkmRealtimeClient } from './realtime-client';
import { EkmSummaryClient } from './summary-client';

/** The EKM clients of one project config, sharing one HTTP pool. */
export interface EkmClients {
  readonly http: UndiciHttpClient;
  readonly realtime: EkmRealtimeClient;
  readonly summary: EkmSummaryClient;
  readonly account: EkmAccountClient;
  close(): Promise<void>;
}

/** Composition helper for handlers, CLI commands and `npm start`: one pool, one client per API. */
export function makeEkmClients(ekm: EkmEndpoints, httpOptions: UndiciHttpClientOptions = {}): EkmClients {
  const http = new UndiciHttpClient({
    bodyTimeoutMs: ekm.timeoutMs,
    maxConcurrencyPerHost: ekm.maxConcurrencyPerHost,
    maxRetries: ekm.maxRetries,
    ...httpOptions,
  });
  return {
    http,
    realtime: new EkmRealtimeClient(http, { baseUrl: ekm.realtimeUrl, batchSize: ekm.realtimeBatchSize }),
    summary: new EkmSummaryClient(http, { baseUrl: ekm.summaryUrl }),
    account: new EkmAccountClient(http, { baseUrl: ekm.accountUrl }),
    close: () => http.close(),
  };
}

/** Resolve a configured key by alias into the `EkmKey` the clients take. */
export async function resolveEkmKey(config: ProjectConfig, alias: string, secrets: SecretResolver): Promise<EkmKey> {
  const { key, index } = keyEntry(config, alias);
  return { alias, key: await secrets.resolve(key.secret, `${config.file}: /keys/${index}/secret`) };
}

import { asError } from '@ekm-pipeline/shared';
import type { Uplink, UplinkAnswer } from './uploader';

/**
 * The pipeline's edge ingest endpoint over HTTP: `POST <endpoint>` with `Authorization: Bearer
 * <gateway token>` and `Idempotency-Key: <batch id>`, JSON body `{gateway, batchId, readings}`.
 * 2xx = acknowledged; 408/429/5xx and network errors = retry later; 401/403 = the token or the
 * gateway's registration is wrong (kept and retried, see uploader.ts); other 4xx = refused for good.
 * The token never appears in an answer or an error.
 */
export class HttpUplink implements Uplink {
  constructor(
    private readonly endpoint: string,
    private readonly token: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async send(batch: Parameters<Uplink['send']>[0]): Promise<UplinkAnswer> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.token}`,
          'idempotency-key': batch.batchId,
          'content-type': 'application/json',
        },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', reason: this.clean(`network: ${asError(error).message}`) };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      let body: { accepted?: number; duplicate?: boolean } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // An acknowledgement without a JSON body is still an acknowledgement.
      }
      return { kind: 'ack', accepted: body.accepted ?? batch.readings.length, duplicate: body.duplicate === true };
    }
    const reason = this.clean(`HTTP ${response.status}: ${text.slice(0, 500)}`);
    if (response.status === 408 || response.status === 429 || response.status >= 500) return { kind: 'retry', reason };
    if (response.status === 401 || response.status === 403) return { kind: 'auth', reason };
    return { kind: 'reject', reason };
  }

  private clean(text: string): string {
    return this.token.length >= 4 ? text.split(this.token).join('***') : text;
  }
}

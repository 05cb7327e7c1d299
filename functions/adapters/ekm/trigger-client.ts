import { EkmPipelineError, redactSecrets } from '../../core/errors';
import type { LiveTrigger, TriggerBody } from '../../core/triggers/model';
import type { EkmKey } from '../../ports/ekm-api';
import type { HttpClient, HttpRequest, HttpResponse } from '../../ports/http-client';
import type { TriggerApi } from '../../ports/trigger-api';

/** A Trigger API request failed. The message names the key alias, never the key or the token. */
export class TriggerApiError extends EkmPipelineError {
  override readonly name = 'TriggerApiError';
  /** HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;
  readonly endpoint: string;
  constructor(endpoint: string, status: number | undefined, message: string, options?: ErrorOptions) {
    super(
      status === 403 ? 'TRIGGER_FORBIDDEN' : status === undefined ? 'TRIGGER_NETWORK' : 'TRIGGER_HTTP',
      message,
      options,
    );
    this.status = status;
    this.endpoint = endpoint;
  }
}

export interface TriggerClientOptions {
  /** Base URL of EKM's API host (`https://api.ekmpush.com`) or the local EKM cloud. */
  readonly baseUrl: string;
  readonly key: EkmKey;
  /** The bearer token (secret) and its non-secret label for messages. */
  readonly token: string;
}

/** A uuid that no trigger can have; used only by {@link EkmTriggerClient.canWrite}. */
const PROBE_UUID = '0'.repeat(32);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statusOf(error: unknown): number | undefined {
  if (isRecord(error) && typeof error.status === 'number') return error.status;
  return undefined;
}

/**
 * The Trigger API over the HttpClient port (docs/ekm-push-apis.md §5):
 * `Authorization: Bearer`, `Accept`/`Content-Type: application/json`, `key=` in the query.
 * Works with clients that throw on non-2xx (UndiciHttpClient, error carries `status`) and with
 * clients that return the response.
 */
export class EkmTriggerClient implements TriggerApi {
  private readonly base: string;
  private readonly secrets: readonly string[];

  constructor(
    private readonly http: HttpClient,
    private readonly opts: TriggerClientOptions,
  ) {
    this.base = `${opts.baseUrl.replace(/\/+$/, '')}/api/trigger`;
    this.secrets = [opts.key.key, opts.token];
  }

  async list(gateway: string): Promise<LiveTrigger[]> {
    const res = await this.send('trigger.list', 'GET', { gateway });
    return this.triggersOf('trigger.list', res);
  }

  async get(uuid: string): Promise<LiveTrigger | undefined> {
    try {
      const res = await this.send('trigger.get', 'GET', { trigger: uuid });
      return this.triggersOf('trigger.get', res)[0];
    } catch (error) {
      if (error instanceof TriggerApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async create(gateway: string, body: TriggerBody): Promise<LiveTrigger> {
    const res = await this.send('trigger.create', 'POST', { gateway }, { trigger: body });
    return this.triggerOf('trigger.create', res);
  }

  async modify(uuid: string, body: TriggerBody): Promise<LiveTrigger> {
    const res = await this.send('trigger.modify', 'PUT', {}, { trigger: { trigger_uuid: uuid, ...body } });
    return this.triggerOf('trigger.modify', res);
  }

  async delete(uuid: string): Promise<'deleted' | 'absent'> {
    try {
      await this.send('trigger.delete', 'DELETE', {}, { trigger_uuid: uuid });
      return 'deleted';
    } catch (error) {
      if (error instanceof TriggerApiError && error.status === 404) return 'absent';
      throw error;
    }
  }

  async canWrite(): Promise<boolean> {
    try {
      await this.send('trigger.write-check', 'DELETE', {}, { trigger_uuid: PROBE_UUID });
      return true;
    } catch (error) {
      if (error instanceof TriggerApiError && error.status === 403) return false;
      if (error instanceof TriggerApiError && (error.status === 404 || error.status === 400)) return true;
      throw error;
    }
  }

  private async send(
    endpoint: string,
    method: HttpRequest['method'],
    params: Record<string, string>,
    body?: unknown,
  ): Promise<HttpResponse> {
    const query = new URLSearchParams({ key: this.opts.key.key, ...params });
    const req: HttpRequest = {
      method,
      url: `${this.base}?${query.toString()}`,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${this.opts.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      secrets: this.secrets,
      endpoint,
    };
    let res: HttpResponse;
    try {
      res = await this.http.request(req);
    } catch (error) {
      const status = statusOf(error);
      const detail = redactSecrets(error instanceof Error ? error.message : String(error), this.secrets);
      throw new TriggerApiError(endpoint, status, this.explain(endpoint, status, detail), { cause: error });
    }
    if (res.status >= 300) {
      const detail = `HTTP ${res.status}: ${redactSecrets(res.body.slice(0, 300), this.secrets)}`;
      throw new TriggerApiError(endpoint, res.status, this.explain(endpoint, res.status, detail));
    }
    return res;
  }

  private explain(endpoint: string, status: number | undefined, detail: string): string {
    const who = `key alias ${JSON.stringify(this.opts.key.alias)}`;
    if (status === 403)
      return `${endpoint} (${who}): the Trigger API refused the request (403): the bearer token or key is invalid, or the token lacks permission; check the key's token in the config. ${detail}`;
    return `${endpoint} (${who}): ${detail}`;
  }

  private parse(endpoint: string, res: HttpResponse): unknown {
    try {
      return JSON.parse(res.body);
    } catch {
      throw new TriggerApiError(
        endpoint,
        res.status,
        `${endpoint}: response is not JSON: ${redactSecrets(res.body.slice(0, 200), this.secrets)}`,
      );
    }
  }

  private triggersOf(endpoint: string, res: HttpResponse): LiveTrigger[] {
    const parsed = this.parse(endpoint, res);
    const list = isRecord(parsed) ? (parsed.triggers ?? (parsed.trigger ? [parsed.trigger] : undefined)) : parsed;
    if (!Array.isArray(list))
      throw new TriggerApiError(endpoint, res.status, `${endpoint}: response has no "triggers" list`);
    return list.map((t) => this.checkTrigger(endpoint, res, t));
  }

  private triggerOf(endpoint: string, res: HttpResponse): LiveTrigger {
    const parsed = this.parse(endpoint, res);
    return this.checkTrigger(endpoint, res, isRecord(parsed) ? (parsed.trigger ?? parsed) : parsed);
  }

  private checkTrigger(endpoint: string, res: HttpResponse, value: unknown): LiveTrigger {
    if (!isRecord(value) || typeof value.trigger_uuid !== 'string' || typeof value.trigger_name !== 'string')
      throw new TriggerApiError(
        endpoint,
        res.status,
        `${endpoint}: a trigger without trigger_uuid/trigger_name in the response`,
      );
    return value as unknown as LiveTrigger;
  }
}

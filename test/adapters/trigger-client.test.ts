import { EkmTriggerClient, TriggerApiError } from '../../functions/adapters/ekm/trigger-client';
import { mapLimit } from '../../functions/core/concurrency';
import type { HttpClient, HttpRequest, HttpResponse } from '../../functions/ports/http-client';

const KEY = 'MTAxMDoyMDIw';
const TOKEN = 'BZTdu8_5iw62WQuDg4OHIMhG7mcEqJu8VrzHSywCkPk';
const UUID = '058f3dba18cb11edbdf452540000ef9a';
const TRIGGER = { trigger_uuid: UUID, trigger_name: 'Some trigger', conditions: [], actions: [], enabled: true };

/** Records requests and answers from a queue. */
class ScriptedHttp implements HttpClient {
  readonly sent: HttpRequest[] = [];
  constructor(private readonly answers: (HttpResponse | Error)[]) {}
  async request(req: HttpRequest): Promise<HttpResponse> {
    this.sent.push(req);
    const next = this.answers.shift();
    if (!next) throw new Error('no scripted answer');
    if (next instanceof Error) throw next;
    return next;
  }
}
const ok = (body: unknown, status = 200): HttpResponse => ({ status, headers: {}, body: JSON.stringify(body) });
const client = (http: HttpClient) =>
  new EkmTriggerClient(http, { baseUrl: 'https://api.ekmpush.com/', key: { alias: 'site-7', key: KEY }, token: TOKEN });

describe('EkmTriggerClient', () => {
  it('sends the requests the seed documents', async () => {
    // Prepare
    const http = new ScriptedHttp([
      ok({ triggers: [TRIGGER] }),
      ok({ trigger: TRIGGER }),
      ok({ trigger: TRIGGER }),
      ok({}),
    ]);
    const api = client(http);
    const body = { trigger_name: 'Some trigger', enabled: true, conditions: [], actions: [] };
    // Act
    await api.list('4016fa0500cd');
    await api.create('4016fa0500cd', body);
    await api.modify(UUID, body);
    await api.delete(UUID);
    // Assess
    expect(http.sent.map((r) => [r.method, r.url, r.endpoint])).toEqual([
      ['GET', `https://api.ekmpush.com/api/trigger?key=${KEY}&gateway=4016fa0500cd`, 'trigger.list'],
      ['POST', `https://api.ekmpush.com/api/trigger?key=${KEY}&gateway=4016fa0500cd`, 'trigger.create'],
      ['PUT', `https://api.ekmpush.com/api/trigger?key=${KEY}`, 'trigger.modify'],
      ['DELETE', `https://api.ekmpush.com/api/trigger?key=${KEY}`, 'trigger.delete'],
    ]);
    expect(http.sent[0]?.headers).toEqual({ accept: 'application/json', authorization: `Bearer ${TOKEN}` });
    expect(http.sent[1]?.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(JSON.parse(http.sent[1]?.body ?? '')).toEqual({ trigger: body });
    expect(JSON.parse(http.sent[2]?.body ?? '')).toEqual({ trigger: { trigger_uuid: UUID, ...body } });
    expect(JSON.parse(http.sent[3]?.body ?? '')).toEqual({ trigger_uuid: UUID });
    for (const r of http.sent) expect(r.secrets).toEqual([KEY, TOKEN]);
  });

  it('maps 404 to undefined (get) and absent (delete), and the write probe to a boolean', async () => {
    const notFound = ok({ error: 'not found' }, 404);
    const api = client(new ScriptedHttp([notFound, notFound, notFound, ok({ error: 'READ' }, 403)]));
    expect(await api.get(UUID)).toBeUndefined();
    expect(await api.delete(UUID)).toBe('absent');
    expect(await api.canWrite()).toBe(true);
    expect(await api.canWrite()).toBe(false);
  });

  it('understands clients that throw on non-2xx (error with status), as UndiciHttpClient does', async () => {
    const thrown = Object.assign(new Error(`trigger.delete: HTTP 404 for https://x/api/trigger?key=${KEY}`), {
      status: 404,
    });
    expect(await client(new ScriptedHttp([thrown])).delete(UUID)).toBe('absent');
  });

  it('fails with the alias and without the key or token in the message', async () => {
    const echo = ok({ error: `bad key ${KEY} with token ${TOKEN}` }, 400);
    const reset = new Error(
      `connect ECONNRESET while calling https://x/api/trigger?key=${encodeURIComponent(KEY)} Bearer ${TOKEN}`,
    );
    const notJson = { status: 200, headers: {}, body: `<html>${KEY}</html>` };
    for (const answer of [echo, reset, notJson, ok({ nothing: true })]) {
      const error = (await client(new ScriptedHttp([answer]))
        .list('4016fa0500cd')
        .catch((e: unknown) => e)) as TriggerApiError;
      expect(error).toBeInstanceOf(TriggerApiError);
      expect(error.message).toMatch(/trigger\.list/);
      expect(error.message).not.toContain(KEY);
      expect(error.message).not.toContain(TOKEN);
    }
  });
});

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and the results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return i;
    });
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(3);
  });

  it('rejects with the first error after the started calls settle', async () => {
    const settled: number[] = [];
    const run = mapLimit([1, 2, 3], 3, async (n) => {
      await new Promise((r) => setTimeout(r, n));
      settled.push(n);
      if (n === 1) throw new Error('first');
      return n;
    });
    await expect(run).rejects.toThrow('first');
    expect(settled.sort()).toEqual([1, 2, 3]);
  });
});

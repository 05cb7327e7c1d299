import { detectEkmStatus, EkmApiError, EkmHttpError } from '../../core/ekm/ekm-errors';
import type { MeterId } from '../../core/readings/meter-id';
import type { HttpClient, HttpResponse } from '../../ports/http-client';

/**
 * GET through the HttpClient port and turn failures into typed errors that name the meters. Works
 * with HttpClients that throw on non-2xx (UndiciHttpClient) and ones that return the response.
 */
export async function ekmGet(
  http: HttpClient,
  url: string,
  endpoint: string,
  secrets: readonly string[],
  meters: readonly MeterId[] = [],
): Promise<HttpResponse> {
  let res: HttpResponse;
  try {
    res = await http.request({ method: 'GET', url, endpoint, secrets });
  } catch (error) {
    if (error instanceof EkmApiError && error.meters.length === 0 && meters.length > 0) {
      throw new EkmApiError(
        {
          ekmStatus: error.ekmStatus,
          endpoint,
          meters,
          httpStatus: error.httpStatus,
          detail: error.detail,
        },
        secrets,
      );
    }
    throw error;
  }
  if (res.status >= 200 && res.status < 300) return res;
  const status = detectEkmStatus(res.body);
  if (status) {
    throw new EkmApiError(
      { ekmStatus: status.code, endpoint, meters, httpStatus: res.status, detail: status.message },
      secrets,
    );
  }
  throw new EkmHttpError(
    { status: res.status, endpoint, attempts: 1, body: res.body, detail: 'request failed' },
    secrets,
  );
}

/** Run `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

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

/** EKM batches share the pipeline's one bounded-concurrency helper (failure semantics there). */
export { mapLimit } from '../../core/concurrency';

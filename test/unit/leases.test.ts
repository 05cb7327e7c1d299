import { type LeaseJob, leaseName, parseLeaseName } from '../../functions/core/leases';

describe('leaseName', () => {
  it.each<[LeaseJob, string, string]>([
    ['ingest-realtime', 'demo', 'ingest-realtime#demo'],
    ['ingest-summary', 'demo', 'ingest-summary#demo'],
    ['edge-ingest', 'gw-1', 'edge-ingest-gw-1'],
    ['bill-close', 'tower-a', 'bill-close#tower-a'],
  ])('names the %s lease of %p as it is stored (%p)', (job, subject, expected) => {
    // Act
    const name = leaseName(job, subject);
    // Assess
    expect(name).toBe(expected);
    expect(parseLeaseName(name)).toEqual({ job, subject });
  });

  it.each([['LOCK#other'], ['ingest-realtime#'], ['compact#demo'], ['']])(
    'parses %p as no lease of a known job',
    (name) => {
      expect(parseLeaseName(name)).toBeUndefined();
    },
  );
});

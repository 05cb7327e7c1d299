import {
  CLOSE_METRICS,
  closeMetricDocuments,
  estimatedShare,
  monthBeforeIn,
} from '../../functions/core/billing/close-metrics';

describe('close metrics', () => {
  it.each([
    ['2026-04-02T12:00:00Z', 'America/New_York', '2026-03'],
    // 00:30 UTC on 1 April is still 31 March in New York: the month before is February.
    ['2026-04-01T00:30:00Z', 'America/New_York', '2026-02'],
    ['2026-01-03T00:00:00Z', 'UTC', '2025-12'],
    ['2026-03-31T23:30:00Z', 'Asia/Tokyo', '2026-03'],
  ])('names the month before %s in %s: %s', (now, zone, month) => {
    expect(monthBeforeIn(Date.parse(now), zone)).toBe(month);
  });

  it.each([
    [[], 0],
    [[{ days: [{ kWh: 10, estimated: false }] }], 0],
    [
      [
        {
          days: [
            { kWh: 30, estimated: true },
            { kWh: 10, estimated: false },
          ],
        },
        { days: [{ kWh: 60, estimated: false }] },
      ],
      0.3,
    ],
    [[{ days: [{ kWh: 0, estimated: true }] }], 0],
  ])('measures the estimated share of %j as %d', (usage, share) => {
    expect(estimatedShare(usage)).toBeCloseTo(share, 10);
  });

  it('emits the run maximum without dimensions and one document per property', () => {
    const docs = closeMetricDocuments(
      [
        { property: 'elm', estimatedShare: 0.05 },
        { property: 'oak', estimatedShare: 0.4 },
      ],
      1_000,
    );
    expect(docs[0]).toEqual({
      _aws: {
        Timestamp: 1_000,
        CloudWatchMetrics: [
          {
            Namespace: CLOSE_METRICS.namespace,
            Dimensions: [[]],
            Metrics: [{ Name: CLOSE_METRICS.estimatedShareMax, Unit: 'None' }],
          },
        ],
      },
      [CLOSE_METRICS.estimatedShareMax]: 0.4,
    });
    expect(docs.slice(1).map((d) => [d.Property, d[CLOSE_METRICS.estimatedShare]])).toEqual([
      ['elm', 0.05],
      ['oak', 0.4],
    ]);
  });
});

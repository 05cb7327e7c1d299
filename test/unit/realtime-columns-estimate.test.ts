import { estimateReads } from '../../functions/core/ekm/realtime-columns';

/** What the estimate counts: non-overlapping occurrences of the quoted time key, left to right. */
function countKey(body: string): number {
  const key = '"Time_Stamp_UTC_ms"';
  let n = 0;
  for (let at = body.indexOf(key); at >= 0; at = body.indexOf(key, at + key.length)) n++;
  return n;
}

describe('estimateReads', () => {
  it.each([
    ['an empty body', ''],
    ['one read', '{"readMeter":{"ReadSet":[{"Meter":"1","ReadData":[{"Good":1,"Time_Stamp_UTC_ms":1}]}]}}'],
    ['a key at the very start', '"Time_Stamp_UTC_ms":1'],
    ['the tail alone', 'UTC_ms"UTC_ms"_UTC_ms"'],
    ['two keys sharing a quote', '"Time_Stamp_UTC_ms"Time_Stamp_UTC_ms"'],
    ['keys back to back', 'x"Time_Stamp_UTC_ms""Time_Stamp_UTC_ms","Time_Stamp_UTC_ms"'],
    ['other UTC keys', '{"Time_Stamp_UTC_ms":1,"Local_UTC_ms":2,"Stamp_UTC_ms":3}'],
  ])('counts the time keys of %s', (_name, body) => {
    expect(estimateReads(body)).toBe(countKey(body));
  });

  it('counts every read of a large body', () => {
    const read = (t: number) => `{"Good":1,"Time_Stamp_UTC_ms":${t},"kWh_Tot":"1.5"}`;
    const reads = Array.from({ length: 5000 }, (_, i) => read(1_700_000_000_000 + i * 60_000));
    const body = `{"readMeter":{"ReadSet":[{"Meter":"350000900","ReadData":[${reads.join(',')}]}]}}`;
    expect(estimateReads(body)).toBe(5000);
  });
});

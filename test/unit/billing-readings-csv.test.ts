import { parseReadingsCsv } from '../../functions/core/billing/readings-csv';

describe('readings CSV', () => {
  it('reads meter,time,kWh_Tot with optional registers, pads meters, accepts offsets, sorts per meter', () => {
    // Prepare
    const text = [
      'time,meter,kWh_Tot,Rev_kWh_Tot,kWh_Tariff_1,kWh_Tariff_2,RMS_Volts_Ln_1',
      '2026-03-01T00:15:00Z,300000011,101.5,2,60,41.5,120.1',
      '2026-03-01T00:00:00-05:00,"000300000011",100,,,,',
      '2026-03-01T00:00:00Z,300000011,100.25,1.5,59,41,',
      '',
    ].join('\n');
    // Act
    const { byMeter, rows } = parseReadingsCsv(text, 'readings.csv');
    // Assess
    expect(rows).toBe(3);
    expect(byMeter.get('000300000011')).toEqual([
      {
        timeMs: Date.parse('2026-03-01T00:00:00Z'),
        kWhTot: 100.25,
        revKWhTot: 1.5,
        tariffKWh: [59, 41, undefined, undefined],
      },
      {
        timeMs: Date.parse('2026-03-01T00:15:00Z'),
        kWhTot: 101.5,
        revKWhTot: 2,
        tariffKWh: [60, 41.5, undefined, undefined],
      },
      { timeMs: Date.parse('2026-03-01T05:00:00Z'), kWhTot: 100 },
    ]);
  });

  it.each([
    [
      'meter,time,kWh_Tot\n1,2026-03-01T00:00:00Z,1\n1,2026-03-01T00:15:00Z,abc',
      'readings.csv:3: kWh_Tot "abc" is not a number',
    ],
    [
      'meter,time,kWh_Tot\n1,2026-03-01T00:00:00,1',
      'readings.csv:2: time "2026-03-01T00:00:00" is not an ISO-8601 time with a zone',
    ],
    ['meter,time,kWh_Tot\nM-1,2026-03-01T00:00:00Z,1', 'readings.csv:2: meter "M-1" is not a meter address'],
    ['meter,time,kWh_Tot\n1,2026-03-01T00:00:00Z,', 'readings.csv:2: kWh_Tot is empty'],
    ['meter,time,kWh_Tot\n1,2026-03-01T00:00:00Z', 'readings.csv:2: expected 3 columns like the header, got 2'],
    ['meter,time,kWh\n', 'readings.csv:1: header has no kWh_Tot column'],
    ['', 'readings.csv:1: empty file'],
  ])('fails naming the line: %j', (text, message) => {
    expect(() => parseReadingsCsv(text, 'readings.csv')).toThrow(message);
  });
});

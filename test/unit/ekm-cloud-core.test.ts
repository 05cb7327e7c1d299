import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAccountRequest, parseAccountResponse, parseGatewayResponse } from '../../functions/core/ekm/account';
import { detectEkmStatus, EkmApiError, EkmResponseError } from '../../functions/core/ekm/ekm-errors';
import { formatEkmDate, parseEkmDate, zonedToUtc } from '../../functions/core/ekm/ekm-time';
import { fieldSpec, fieldsForProtocol, isTextField, matchSummaryFields } from '../../functions/core/ekm/field-catalog';
import {
  buildReadRequest,
  parseReadResponse,
  parseReadResponseWithRejections,
  planRealtimeBatches,
  validateRealtimeQuery,
} from '../../functions/core/ekm/realtime';
import { buildSummaryRequest, nextSummaryOffset, parseSummaryResponse } from '../../functions/core/ekm/summary';
import { ValidationError } from '../../functions/core/errors';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/ekm', name), 'utf8');
const KEY = 'MTAxMDoyMDIw';

describe('parseReadResponse', () => {
  it('turns the reconstructed EKM example into one typed reading', () => {
    // Prepare / Act
    const [reading, ...rest] = parseReadResponse(fixture('readmeter-v4-reconstructed.json'), { via: 'demo' });
    // Assess
    expect(rest).toEqual([]);
    expect(reading).toEqual({
      meter: '000300000369',
      timeMs: 1705342500123,
      good: true,
      protocol: 'v4',
      source: 'realtime',
      via: 'demo',
      fields: {
        Firmware: '28',
        Model: '1024',
        kWh_Tot: 218322,
        RMS_Volts_Ln_1: 123.8,
        Amps_Ln_1: 45,
        RMS_Watts_Tot: 12105,
        Power_Factor_Ln_1: 83,
        Cos_Theta_Ln_1: '0.83 L',
        State_Watts_Dir: 1,
      },
    });
  });

  it('sorts, de-duplicates, keeps failed reads flagged and tolerates a ReadSet without ReadData', () => {
    const reads = parseReadResponse(fixture('readmeter-mixed.json'), { via: 'demo' });
    expect(reads.map((r) => [r.meter, r.timeMs, r.good])).toEqual([
      ['000000010068', 1773165600600, true],
      ['000000010068', 1773165660600, false],
      ['000000010068', 1773165720600, true],
      ['000350000900', 1773165600710, true],
    ]);
    expect(reads[1]!.fields).toEqual({ 'PERR.NR': 26950 });
    expect(reads[0]!.fields).toMatchObject({ kWh_Tot: 35790.1, Meter_Time: '26031002180000', CT_Ratio: 200 });
    expect(reads[3]!.fields).toEqual({
      Net_Calc_Watts_Ln_3: -1520,
      Some_New_Field: 'abc',
      Good_Reads_Ratio: 100,
      Read_Attempts: 1,
    });
  });

  it('applies since/until client-side', () => {
    const reads = parseReadResponse(fixture('readmeter-mixed.json'), {
      via: 'd',
      sinceMs: 1773165600600,
      untilMs: 1773165660600,
    });
    expect(reads.map((r) => r.timeMs)).toEqual([1773165660600, 1773165600710]);
  });

  it.each([
    ['{"readMeter":', EkmResponseError, 'not JSON'],
    ['<html>oops</html>', EkmResponseError, 'not JSON'],
    ['{"foo":1}', EkmResponseError, 'no "readMeter"'],
    ['{"readMeter":{"ReadSet":{}}}', EkmResponseError, 'not an array'],
    ['{"readMeter":{"ReadSet":[{"Meter":"12x"}]}}', EkmResponseError, 'not a meter serial'],
    ['{"readMeter":{"ReadSet":[{"Meter":"1","ReadData":[{"Good":1}]}]}}', EkmResponseError, 'Time_Stamp_UTC_ms'],
    [
      '{"readMeter":{"ReadSet":[{"Meter":"1","ReadData":[{"Good":1,"Time_Stamp_UTC_ms":1,"kWh_Tot":"lots"}]}]}}',
      EkmResponseError,
      'kWh_Tot',
    ],
    [`{"error":{"code":1200,"message":"Found invalid meter: 5 for key: ${KEY}"}}`, EkmApiError, '1200'],
  ])('fails clearly on %s', (body, type, text) => {
    const run = () => parseReadResponse(body, { via: 'd', secrets: [KEY], meters: ['000000000005'] });
    expect(run).toThrow(type);
    expect(run).toThrow(text);
    try {
      run();
    } catch (e) {
      expect((e as Error).message).not.toContain(KEY);
    }
  });
});

describe('parseReadResponseWithRejections', () => {
  const body = JSON.stringify({
    readMeter: {
      ReadSet: [
        {
          Meter: '350000900',
          Protocol: 'v4',
          ReadData: [
            { Good: 1, Time_Stamp_UTC_ms: 1773165720000, kWh_Tot: '10.5' },
            { Good: 1, Time_Stamp_UTC_ms: 1773165660000, kWh_Tot: '12a.4', RMS_Volts_Ln_1: '120.1' },
            { Good: 1, Time_Stamp_UTC_ms: 1773165660000, kWh_Tot: '12a.4', RMS_Volts_Ln_1: '120.1' },
            { Good: 1, Time_Stamp_UTC_ms: 1773165600000, kWh_Tot: '10.1' },
            { Good: 1, Time_Stamp_UTC_ms: 'soon', kWh_Tot: '10.2' },
            7,
          ],
        },
        { Meter: '10068', ReadData: [{ Good: 0, Time_Stamp_UTC_ms: 1773165600600 }] },
      ],
    },
  });

  it('keeps the good reads and returns each malformed read once with its reason and raw JSON', () => {
    const { readings, rejected } = parseReadResponseWithRejections(body, { via: 'demo' });
    expect(readings.map((r) => [r.meter, r.timeMs, r.fields.kWh_Tot])).toEqual([
      ['000350000900', 1773165600000, 10.1],
      ['000350000900', 1773165720000, 10.5],
      ['000000010068', 1773165600600, undefined],
    ]);
    expect(rejected).toEqual([
      {
        meter: '000350000900',
        timeMs: 1773165660000,
        reason: 'meter 000350000900: field kWh_Tot should be a decimal number, got "12a.4"',
        raw: { Good: 1, Time_Stamp_UTC_ms: 1773165660000, kWh_Tot: '12a.4', RMS_Volts_Ln_1: '120.1' },
      },
      {
        meter: '000350000900',
        reason: 'meter 000350000900: read without a valid Time_Stamp_UTC_ms ("soon")',
        raw: { Good: 1, Time_Stamp_UTC_ms: 'soon', kWh_Tot: '10.2' },
      },
      { meter: '000350000900', reason: 'meter 000350000900: a ReadData entry is not an object', raw: { entry: 7 } },
    ]);
  });

  it('applies since/until to malformed reads with a valid time too', () => {
    const { rejected } = parseReadResponseWithRejections(body, { via: 'demo', sinceMs: 1773165660000 });
    expect(rejected.map((r) => r.timeMs)).toEqual([undefined, undefined]);
  });

  it('still throws on envelope problems, and parseReadResponse stays strict', () => {
    expect(() => parseReadResponseWithRejections('{"readMeter":{"ReadSet":{}}}', { via: 'd' })).toThrow('not an array');
    expect(() => parseReadResponse(body, { via: 'd' })).toThrow(EkmResponseError);
    expect(() => parseReadResponse(body, { via: 'd' })).toThrow('field kWh_Tot should be a decimal number');
  });
});

describe('realtime request building', () => {
  it('builds the query-style URL with ~ lists, serials without zeros and tz with ~', () => {
    const url = buildReadRequest('http://127.0.0.1:9/', KEY, {
      meters: ['000350000900', '000000010068'],
      ver: 'v4',
      cnt: 10,
      tz: 'America/New_York',
      fields: ['kWh_Tot', 'RMS_Watts_Tot'],
      sinceMs: 1,
      untilMs: 2,
    });
    expect(url).toBe(
      `http://127.0.0.1:9/readMeter?key=${KEY}&meters=350000900~10068&ver=v4&fmt=json&cnt=10&tz=America~New_York&fields=kWh_Tot~RMS_Watts_Tot&since=1&until=2`,
    );
  });

  it('plans batches without duplicates', () => {
    expect(planRealtimeBatches(['1', '2', '3', '2', '4'], 2)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(() => planRealtimeBatches(['1'], 0)).toThrow(ValidationError);
  });

  it('validates cnt and fields with the parameter name', () => {
    expect(() => validateRealtimeQuery({ meters: ['000350000900'], cnt: 1.5 })).toThrow(
      'cnt: must be an integer 1..1000',
    );
    expect(() => validateRealtimeQuery({ meters: ['000350000900'], fields: ['kwh_tot'] })).toThrow(
      'fields: unknown EKM field "kwh_tot"',
    );
  });
});

describe('summary', () => {
  it('parses a bulk page with numeric strings and numeric Meter', () => {
    const buckets = parseSummaryResponse(fixture('summary-dy-bulk.json'), { report: 'dy' });
    expect(buckets.map((b) => b.meter)).toEqual(['000350000900', '000000010068']);
    expect(buckets[0]!.values).toEqual({
      Count: 1433,
      kWh_Tot_Diff: 36.42,
      kWh_Tot_First: 46001.1,
      RMS_Volts_Ln_1_Average: 120.512,
    });
    expect(buckets[1]!.values.kWh_Tot_Diff).toBe(48.1);
  });

  it('treats "no data" statuses as an empty page and legacy text errors as EkmApiError', () => {
    expect(parseSummaryResponse('{"error":{"code":1001,"message":"There is not data"}}', { report: 'dy' })).toEqual([]);
    expect(() => parseSummaryResponse(`Error: bad key ${KEY}`, { report: 'dy', secrets: [KEY] })).toThrow(EkmApiError);
    expect(() => parseSummaryResponse('{"a":1}', { report: 'dy' })).toThrow('expected a JSON array');
  });

  it('builds dates in the summary time zone and plans pages', () => {
    const start = Date.UTC(2026, 2, 9, 5);
    const url = buildSummaryRequest(
      'http://h',
      KEY,
      {
        meters: ['000350000900', '000350000901'],
        report: 'hr',
        startMs: start,
        endMs: start + 3_600_000,
        timezone: 'America/New_York',
        fields: ['kWh_Tot*'],
      },
      { limit: 50, offset: 100 },
    );
    expect(url).toBe(
      `http://h/summary?key=${KEY}&meters=350000900~350000901&format=json&report=hr&start_date=202603090100&end_date=202603090200&timezone=America~New_York&fields=kWh_Tot*&bulk=1&limit=50&offset=100`,
    );
    expect(nextSummaryOffset({ limit: 50, offset: 100 }, 50)).toBe(150);
    expect(nextSummaryOffset({ limit: 50, offset: 100 }, 49)).toBeUndefined();
  });
});

describe('account', () => {
  it("parses EKM's account sample", () => {
    const acc = parseAccountResponse(fixture('account-account-sample.json'));
    expect(acc.keyType).toBe('account');
    expect(acc.meters.map((m) => m.meter)).toEqual(['000000000099', '000000010388', '000000010389', '000000015635']);
    expect(acc.gateways).toContain('4016fa0500cd');
  });

  it('parses gateways with meters and builds repeated ids', () => {
    const g = parseGatewayResponse(
      '{"gateways":[{"mac_address":"40:16:FA:05:00:CD","name":"x","meters":[{"address":"000350000900","protocol":"v4"},"10068"]}]}',
    );
    expect(g.gateways).toEqual([{ mac: '4016fa0500cd', name: 'x', meters: ['000350000900', '000000010068'] }]);
    expect(g.meters[0]).toEqual({ meter: '000350000900', gateway: '4016fa0500cd', protocol: 'v4' });
    expect(buildAccountRequest('http://h', KEY, 'meter', ['1', '2'])).toBe(
      `http://h/account/api/meter?key=${KEY}&id=1&id=2`,
    );
  });
});

describe('errors, time and field catalog', () => {
  it.each([
    ['{"error":{"code":1102,"message":"m"}}', 1102],
    ['{"status_code":"1200"}', 1200],
    ['{"code":1300}', 1300],
    ['Error: invalid', 1100],
    ['{"readMeter":{}}', undefined],
    ['[]', undefined],
  ])('detects the EKM status in %s', (body, code) => {
    expect(detectEkmStatus(body)?.code).toBe(code);
  });

  it('converts EKM dates in a zone, across DST', () => {
    expect(parseEkmDate('202603080300', 'America/New_York', 'start_date')).toBe(Date.UTC(2026, 2, 8, 7));
    expect(formatEkmDate(Date.UTC(2026, 6, 1, 12, 30), 'America/New_York')).toBe('202607010830');
    expect(zonedToUtc(2026, 1, 1, 0, 0, 'UTC')).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseEkmDate('202602300000', 'UTC', 'end_date')).toThrow('end_date');
    expect(() => parseEkmDate('2026-02-01', 'UTC', 'start_date')).toThrow('YYYYMMDDhhmm');
  });

  it('knows v3/v4 fields, text fields and summary wildcards', () => {
    expect(fieldsForProtocol('v3')).toContain('Meter_Status_Code');
    expect(fieldsForProtocol('v3')).not.toContain('Line_Freq');
    expect(fieldsForProtocol('v4')).toContain('Net_Calc_Watts_Tot');
    expect(isTextField('Cos_Theta_Ln_2')).toBe(true);
    expect(isTextField('kWh_Tot')).toBe(false);
    expect(fieldSpec('PERR.NR')?.kind).toBe('number');
    expect(matchSummaryFields('kWh_Tot*')).toEqual([
      'kWh_Tot_First',
      'kWh_Tot_Last',
      'kWh_Tot_Diff',
      'kWh_Tot_Min',
      'kWh_Tot_Max',
      'kWh_Tot_DeltaMax',
    ]);
    expect(matchSummaryFields('RMS_Volts_Ln_1')).toEqual([
      'RMS_Volts_Ln_1_Average',
      'RMS_Volts_Ln_1_StdDev',
      'RMS_Volts_Ln_1_Min',
      'RMS_Volts_Ln_1_Max',
    ]);
    expect(matchSummaryFields('Bogus*')).toEqual([]);
  });
});

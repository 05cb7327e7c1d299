import {
  buildReply,
  CodecError,
  type CodecErrorCode,
  type DecodeOptions,
  decodeFrame,
  meterTimeToMs,
  sealReply,
  toReading,
  V3_LAYOUT,
  V4A_LAYOUT,
  V4B_LAYOUT,
} from '../../src/codec';
import captured from '../fixtures/vectors/captured-frames.json';

interface RealReply {
  readonly hex: string;
  readonly address: string;
  readonly expected: Record<string, unknown>;
  readonly kwh_scale_applied?: number;
}
const realA = captured.find((c) => c.kind === 'v4A response') as unknown as RealReply;
const realB = captured.find((c) => c.kind === 'v4B response') as unknown as RealReply;
const frameA = () => Uint8Array.from(Buffer.from(realA.hex, 'hex'));
const frameB = () => Uint8Array.from(Buffer.from(realB.hex, 'hex'));

/** The library's native value → ours: Cos_Theta is shown as EKM shows it ("0.99 C"). */
function expectedOurs(expected: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(expected)) {
    if (name === 'Request_Type') continue;
    if (name.startsWith('Cos_Theta') && typeof value === 'string')
      out[name] = `${value[1]}.${value.slice(2)} ${value[0]}`;
    else out[name] = value;
  }
  return out;
}

function rejects(frame: Uint8Array, code: CodecErrorCode, options: DecodeOptions = {}): string {
  try {
    decodeFrame(frame, options);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe(code);
    return (error as Error).message;
  }
  throw new Error(`expected ${code}, but the frame decoded`);
}

describe('layouts', () => {
  it.each([
    ['v3', V3_LAYOUT],
    ['v4a', V4A_LAYOUT],
    ['v4b', V4B_LAYOUT],
  ])('%s covers bytes 1..248 without gaps', (_kind, layout) => {
    const last = layout[layout.length - 1]!;
    expect(layout[0]!.offset).toBe(1);
    expect(last.offset + last.length).toBe(249);
  });
});

describe('decodeFrame on real captures', () => {
  it('decodes the real v4 A reply to the library values', () => {
    // Act
    const block = decodeFrame(frameA(), { address: realA.address });
    // Assess
    expect(block.kind).toBe('v4a');
    expect(block.fields).toMatchObject(expectedOurs(realA.expected));
    expect(block.fields.Cos_Theta_Ln_1).toBe('0.99 C');
    expect(block.fields.Net_Calc_Watts_Tot).toBe(1128);
    expect(block.fields.Net_Calc_Watts_Ln_1).toBe(600);
    expect(block.meterTimeMs).toBe(Date.UTC(2015, 8, 1, 10, 6, 22));
  });

  it('decodes the real v4 B reply with the scale of the last A', () => {
    const block = decodeFrame(frameB(), { address: realB.address, scale: realB.kwh_scale_applied });
    expect(block.kind).toBe('v4b');
    expect(block.fields).toMatchObject(expectedOurs(realB.expected));
    expect(block.fields.Cos_Theta_Ln_1).toBe('1.00  ');
  });

  it('detects the block type without --kind', () => {
    expect(decodeFrame(frameA()).kind).toBe('v4a');
    expect(decodeFrame(frameB(), { scale: 2 }).kind).toBe('v4b');
  });
});

function set(f: Uint8Array, at: number, byte: number): Uint8Array {
  f[at] = byte;
  return f;
}

describe('decodeFrame rejects', () => {
  it.each([
    ['a flipped CRC byte', (f: Uint8Array) => set(f, 253, f[253]! ^ 1), 'CRC_MISMATCH'],
    ['a changed data byte', (f: Uint8Array) => set(f, 20, 0x39), 'CRC_MISMATCH'],
    ['254 bytes', (f: Uint8Array) => f.subarray(0, 254), 'TRUNCATED'],
    ['200 bytes', (f: Uint8Array) => f.subarray(0, 200), 'TRUNCATED'],
    ['empty', () => new Uint8Array(0), 'TRUNCATED'],
    ['256 bytes', (f: Uint8Array) => Uint8Array.from([...f, 0x30]), 'OVERLONG'],
    ['a byte >= 0x80', (f: Uint8Array) => set(f, 30, 0xb0), 'NOT_7BIT'],
    ['a bad start byte', (f: Uint8Array) => set(f, 0, 0x30), 'BAD_START_BYTE'],
    ['a bad trailer', (f: Uint8Array) => sealReply(set(f, 250, 0x0a)), 'BAD_TRAILER'],
  ] as const)('fails when the frame has %s', (_what, corrupt, code) => {
    rejects(corrupt(frameA()), code, { address: realA.address });
  });

  it('fails when the reply is from another meter (A, B and v3)', () => {
    expect(rejects(frameA(), 'ADDRESS_MISMATCH', { address: '000300001463' })).toContain('000300002570');
    rejects(frameB(), 'ADDRESS_MISMATCH', { address: '000300001463', scale: 2 });
    const v3 = buildReply({ kind: 'v3', address: '000000000026' });
    rejects(v3, 'ADDRESS_MISMATCH', { address: '000000000027' });
  });

  it('accepts any meter for the wildcard address (discovery; the library rejects it)', () => {
    expect(decodeFrame(frameA(), { address: '999999999999' }).address).toBe('000300002570');
  });

  it('fails when an A block is returned for a B request and vice versa', () => {
    rejects(frameA(), 'WRONG_BLOCK', { kind: 'v4b', scale: 2 });
    rejects(frameB(), 'WRONG_BLOCK', { kind: 'v4a' });
  });

  it('fails when an A reply carries Request_Type 01 for an A request', () => {
    const f = frameA();
    f[248] = 0x31;
    rejects(sealReply(f), 'WRONG_BLOCK', { kind: 'v4a' });
  });

  it('fails when a B block comes without the scale of the preceding A', () => {
    expect(rejects(frameB(), 'BAD_ARGUMENT')).toContain('--scale');
  });

  it.each([
    ['a letter in kWh_Tot', 20, 0x41],
    ['a sign in RMS_Watts_Ln_1', 131, 0x2d],
    ['a space in Line_Freq', 200, 0x20],
    ['a bad Cos_Theta prefix', 159, 0x58],
    ['a letter in Meter_Time', 240, 0x78],
    ['a non-digit kWh_Scale', 230, 0x2b],
  ])('fails on %s instead of keeping a stale value', (_what, offset, byte) => {
    const f = frameA();
    f[offset] = byte;
    rejects(sealReply(f), 'BAD_FIELD');
  });
});

describe('decodeFrame on built frames', () => {
  it('decodes all-zero and all-nine v4 A frames', () => {
    const zeros = decodeFrame(buildReply({ kind: 'v4a', address: '000300001463' }));
    expect(zeros.fields.kWh_Tot).toBe(0);
    expect(zeros.fields.Power_Factor_Ln_1).toBe(200);
    expect(zeros.meterTimeMs).toBeUndefined();
    const nines: Record<string, string> = {};
    for (const f of V4A_LAYOUT) {
      if (['int', 'kwh', 'div10', 'div100'].includes(f.type)) nines[f.name] = '9'.repeat(f.length);
    }
    nines.kWh_Scale = '2';
    const block = decodeFrame(buildReply({ kind: 'v4a', address: '000300001463', raw: nines }));
    expect(block.fields.kWh_Tot).toBe(999999.99);
    expect(block.fields.RMS_Watts_Tot).toBe(9999999);
    expect(block.fields.Line_Freq).toBe(99.99);
    expect(block.fields.Amps_Ln_1).toBe(9999.9);
  });

  it.each([
    ['0', 12345678],
    ['1', 1234567.8],
    ['2', 123456.78],
    ['3', 12345678],
    ['9', 12345678],
  ])('scales kWh with kWh_Scale %s', (scale, kwh) => {
    const f = buildReply({ kind: 'v4a', address: '000300001463', raw: { kWh_Scale: scale, kWh_Tot: '12345678' } });
    expect(decodeFrame(f).fields.kWh_Tot).toBe(kwh);
  });

  it('scales v3 kWh by 10 and decodes v3 fields', () => {
    const f = buildReply({
      kind: 'v3',
      address: '000000000026',
      raw: {
        kWh_Tot: '00012345',
        Cos_Theta_Ln_1: 'L083',
        RMS_Watts_Max_Demand: '00001234',
        Meter_Time: '18091406124051',
        CT_Ratio: '0200',
      },
    });
    const block = decodeFrame(f, { address: '000000000026' });
    expect(block.kind).toBe('v3');
    expect(block.fields).toMatchObject({
      Model: '1022',
      kWh_Tot: 1234.5,
      Cos_Theta_Ln_1: '0.83 L',
      Power_Factor_Ln_1: 83,
      RMS_Watts_Max_Demand: 123.4,
      CT_Ratio: 200,
      Meter_Status_Code: '30',
    });
    expect(block.meterTimeMs).toBe(Date.UTC(2018, 8, 14, 12, 40, 51));
  });

  it.each([
    ['L001', 1, '0.01 L'],
    ['L050', 50, '0.50 L'],
    ['L099', 99, '0.99 L'],
    ['C001', 199, '0.01 C'],
    ['C050', 150, '0.50 C'],
    ['C099', 101, '0.99 C'],
    ['C100', 100, '1.00 C'],
    [' 100', 100, '1.00  '],
    [' 000', 100, '0.00  '],
    ['C000', 200, '0.00 C'],
  ])('maps Cos_Theta %j to Power_Factor %d and %j', (raw, pf, shown) => {
    const block = decodeFrame(buildReply({ kind: 'v4a', address: '000300001463', raw: { Cos_Theta_Ln_2: raw } }));
    expect(block.fields.Power_Factor_Ln_2).toBe(pf);
    expect(block.fields.Cos_Theta_Ln_2).toBe(shown);
  });

  it.each([
    [0, [1, 2, 4, 7]],
    [1, [1, 2, 4, 7]],
    [2, [1, 2, -4, -1]],
    [3, [1, -2, 4, 3]],
    [4, [-1, 2, 4, 5]],
    [5, [1, -2, -4, -5]],
    [6, [-1, 2, -4, -3]],
    [7, [-1, -2, 4, 1]],
    [8, [-1, -2, -4, -7]],
  ])('signs Net_Calc_Watts from State_Watts_Dir %d', (dir, [l1, l2, l3, tot]) => {
    const raw = {
      State_Watts_Dir: String(dir),
      RMS_Watts_Ln_1: 1,
      RMS_Watts_Ln_2: 2,
      RMS_Watts_Ln_3: 4,
      RMS_Watts_Tot: 7,
    };
    const f = decodeFrame(buildReply({ kind: 'v4a', address: '000300001463', raw })).fields;
    expect([f.Net_Calc_Watts_Ln_1, f.Net_Calc_Watts_Ln_2, f.Net_Calc_Watts_Ln_3, f.Net_Calc_Watts_Tot]).toEqual([
      l1,
      l2,
      l3,
      tot,
    ]);
    expect(f.RMS_Watts_Ln_1).toBe(1);
  });

  it('merges A over B into one reading', () => {
    const a = decodeFrame(
      buildReply({ kind: 'v4a', address: '000300001463', raw: { RMS_Volts_Ln_1: '1200', kWh_Scale: '2' } }),
    );
    const b = decodeFrame(
      buildReply({
        kind: 'v4b',
        address: '000300001463',
        raw: { RMS_Volts_Ln_1: '1199', CT_Ratio: '0400', kWh_Tariff_1: '00001234' },
      }),
      { scale: 2 },
    );
    const reading = toReading({ primary: a, b, timeMs: 1_700_000_000_000, via: 'gw-1' });
    expect(reading).toMatchObject({ meter: '000300001463', protocol: 'v4', source: 'edge', good: true, via: 'gw-1' });
    expect(reading.fields.RMS_Volts_Ln_1).toBe(120);
    expect(reading.fields.CT_Ratio).toBe(400);
    expect(reading.fields.kWh_Tariff_1).toBe(12.34);
    expect(reading.fields.Meter_Address).toBeUndefined();
  });

  it('fails when merging blocks of different meters', () => {
    const a = decodeFrame(buildReply({ kind: 'v4a', address: '000300001463' }));
    const b = decodeFrame(buildReply({ kind: 'v4b', address: '000300001464' }), { scale: 2 });
    expect(() => toReading({ primary: a, b, timeMs: 0, via: 'gw' })).toThrow(CodecError);
  });

  it.each([
    ['15090103100622', Date.UTC(2015, 8, 1, 10, 6, 22)],
    ['99123107235959', Date.UTC(2099, 11, 31, 23, 59, 59)],
    ['00010101000000', Date.UTC(2000, 0, 1)],
    ['15023003100622', undefined],
    ['15090103250622', undefined],
    ['1509010310062', undefined],
  ])('turns Meter_Time %s into a timestamp', (text, ms) => {
    expect(meterTimeToMs(text)).toBe(ms);
  });
});

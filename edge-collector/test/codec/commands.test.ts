import {
  CLOSE_STRING,
  CodecError,
  ctRatioCommand,
  holidaysCommand,
  lcdItemsCommand,
  maxDemandPeriodCommand,
  maxDemandResetIntervalCommand,
  maxDemandResetNowCommand,
  passwordCommand,
  pulseInputRatioCommand,
  pulseOutputRatioCommand,
  readRequest,
  relayCommand,
  scheduleCommand,
  seasonsCommand,
  setPasswordCommand,
  setTimeCommand,
  tableReadCommand,
  toHex,
  weekendHolidayCommand,
  writeCommand,
  zeroResettableKwhCommand,
} from '../../src/codec';
import captured from '../fixtures/vectors/captured-frames.json';
import commandVectors from '../fixtures/vectors/command-vectors.json';

/** Our builder for each library call in command-vectors.json. */
const BUILDERS: Record<string, () => Uint8Array> = {
  'setRelay(0, 1, 1)': () => relayCommand(1, 'close', 0),
  'setRelay(0, 1, 0)': () => relayCommand(1, 'open', 0),
  'setRelay(0, 2, 1)': () => relayCommand(2, 'close', 0),
  'setRelay(0, 2, 0)': () => relayCommand(2, 'open', 0),
  'setRelay(30, 2, 1)': () => relayCommand(2, 'close', 30),
  // The library writes ISO weekdays (its bug, docs/rs485-protocol.md §6.7): reproduce its frames with the raw writer.
  'setTime(15, 9, 1, 10, 6, 20)': () => writeCommand('60', '15090102100620'),
  'setTime(24, 3, 17, 8, 5, 0)': () => writeCommand('60', '24031707080500'),
  'setMaxDemandPeriod(2)': () => maxDemandPeriodCommand(2),
  'setMaxDemandPeriod(1)': () => maxDemandPeriodCommand(1),
  'setMaxDemandResetInterval(3)': () => maxDemandResetIntervalCommand(3),
  'setMaxDemandResetNow()': () => maxDemandResetNowCommand(),
  'setCTRatio(400)': () => ctRatioCommand(400),
  'setCTRatio(5000)': () => ctRatioCommand(5000),
  'setCTRatio(200)': () => ctRatioCommand(200),
  'setPulseInputRatio(1, 1000)': () => pulseInputRatioCommand(1, 1000),
  'setPulseInputRatio(3, 7)': () => pulseInputRatioCommand(3, 7),
  'setPulseOutputRatio(800)': () => pulseOutputRatioCommand(800),
  'setZeroResettableKWH()': () => zeroResettableKwhCommand(),
  'setLCDCmd([1, 3, 12, 28])': () => lcdItemsCommand([1, 3, 12, 28]),
  "setMeterPassword('12345678')": () => setPasswordCommand('12345678'),
  'setWeekendHolidaySchedules(1, 2)': () => weekendHolidayCommand(1, 2),
  'assignSeasonSchedule(0,1,1,0); setSeasonSchedules()': () => seasonsCommand([{ month: 1, day: 1, schedule: 1 }]),
  'assignSchedule(0,0,7,30,1); setSchedule()': () => scheduleCommand(0, [{ hour: 7, minute: 30, tariff: 1 }]),
  'assignHolidayDate(0,1,1); setHolidayDates()': () => holidaysCommand([{ month: 1, day: 1 }]),
  'readMonthTariffs(1)': () => tableReadCommand('11'),
  'readMonthTariffs(2)': () => tableReadCommand('12'),
  'readSchedules(0)': () => tableReadCommand('70'),
  'readSchedules(1)': () => tableReadCommand('71'),
  'readHolidayDates()': () => tableReadCommand('B0'),
};

const ADDRESS = { v4: '000300001463', v3: '000000000026' } as const;

describe('command frames', () => {
  it.each(commandVectors.map((v) => [`${v.meter} ${v.call}`, v] as const))(
    'writes the library frames byte for byte: %s',
    (_name, vector) => {
      // Prepare
      const build = BUILDERS[vector.call];
      expect(build).toBeDefined();
      const address = ADDRESS[vector.meter as 'v3' | 'v4'];
      const reads =
        vector.meter === 'v3'
          ? [readRequest(address, 'v3')]
          : vector.writes_hex
              .filter((h) => h.startsWith('2f3f'))
              .map((_h, i) => readRequest(address, i === 0 ? 'A' : 'B'));
      const isRead = vector.call.startsWith('read');
      // Act
      const command = build!();
      const writes = [...reads, ...(isRead ? [] : [passwordCommand()]), command, CLOSE_STRING].map(toHex);
      // Assess
      expect(toHex(command)).toBe(vector.command_hex);
      expect(writes).toEqual(vector.writes_hex);
    },
  );

  it('writes the EKM Dash set-time frame (Sunday = 01 weekdays), unlike the library', () => {
    const capture = captured.find((c) => c.kind.startsWith('set time'));
    expect(toHex(setTimeCommand({ year: 2015, month: 9, day: 1, hour: 10, minute: 6, second: 20 }))).toBe(capture?.hex);
  });

  it.each(captured.filter((c) => /relay|password|close|request|month/.test(c.kind)).map((c) => [c.kind, c] as const))(
    'reproduces the captured frame: %s',
    (kind, capture) => {
      const frames: Record<string, () => Uint8Array> = {
        'v4A request': () => readRequest('000300002570', 'A'),
        'password 00000000': () => passwordCommand('00000000'),
        close: () => CLOSE_STRING,
        'relay 1 close, hold': () => relayCommand(1, 'close'),
        'relay 1 open, hold': () => relayCommand(1, 'open'),
        'relay 2 close, hold': () => relayCommand(2, 'close'),
        'relay 2 open, hold': () => relayCommand(2, 'open'),
        'read month kWh table': () => tableReadCommand('11'),
      };
      expect(toHex(frames[kind]!())).toBe(capture.hex);
    },
  );

  it('builds v3, A and B read requests', () => {
    expect(toHex(readRequest('000300001463', 'v3'))).toBe('2f3f303030333030303031343633210d0a');
    expect(toHex(readRequest('000300001463', 'A'))).toBe('2f3f3030303330303030313436333030210d0a');
    expect(toHex(readRequest('000300001463', 'B'))).toBe('2f3f3030303330303030313436333031210d0a');
  });

  it.each([
    ['a short address', () => readRequest('300001463', 'A')],
    ['a 7-digit password', () => passwordCommand('1234567')],
    ['relay 3', () => relayCommand(3 as 1, 'close')],
    ['relay hold 10000 s', () => relayCommand(1, 'close', 10000)],
    ['CT ratio 300', () => ctRatioCommand(300)],
    ['max-demand period 4', () => maxDemandPeriodCommand(4)],
    ['reset interval 5', () => maxDemandResetIntervalCommand(5)],
    ['pulse input 4', () => pulseInputRatioCommand(4, 1)],
    ['41 LCD items', () => lcdItemsCommand(Array(41).fill(1))],
    ['30 February', () => setTimeCommand({ year: 2024, month: 2, day: 30, hour: 0, minute: 0, second: 0 })],
    ['hour 24', () => setTimeCommand({ year: 2024, month: 2, day: 1, hour: 24, minute: 0, second: 0 })],
  ])('fails when asked for %s', (_what, build) => {
    expect(build).toThrow(CodecError);
    try {
      build();
    } catch (error) {
      expect((error as CodecError).code).toBe('BAD_ARGUMENT');
    }
  });
});

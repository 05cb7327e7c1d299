import { ACK, CLOSE_STRING, passwordCommand, readRequest, relayCommand, toHex } from '../../src/codec/commands';
import { buildReply } from '../../src/codec/encode';
import { BusSchedule } from '../../src/protocol/bus-schedule';
import { Exchange, type ExchangeAction } from '../../src/protocol/exchange';

const ADDR = '000300001463';
const TIMING = { firstByteMs: 500, completeMs: 600, retries: 2 };
const A = buildReply({ kind: 'v4a', address: ADDR, raw: { kWh_Scale: '2', kWh_Tot: '00012345' } });
const B = buildReply({ kind: 'v4b', address: ADDR, raw: { kWh_Tariff_1: '00001000' } });
const hex = (a: ExchangeAction) => a.write.map(toHex);

describe('Exchange (read)', () => {
  it('requests A, then B, then closes, scaling B with the A scale', () => {
    const ex = new Exchange({ kind: 'read', address: ADDR, family: 'v4', readB: true }, TIMING);
    const start = ex.handle({ type: 'start' });
    expect(hex(start)).toEqual([toHex(readRequest(ADDR, 'A'))]);
    expect(start.timeoutMs).toBe(500);
    // First byte switches to the completion timeout.
    expect(ex.handle({ type: 'bytes', data: A.subarray(0, 10) }).timeoutMs).toBe(600);
    const afterA = ex.handle({ type: 'bytes', data: A.subarray(10) });
    expect(hex(afterA)).toEqual([toHex(readRequest(ADDR, 'B'))]);
    const done = ex.handle({ type: 'bytes', data: B });
    expect(hex(done)).toEqual([toHex(CLOSE_STRING)]);
    expect(done.done).toMatchObject({ ok: true, attempts: 2 });
    expect(done.done?.ok && done.done.b?.fields.kWh_Tariff_1).toBe(10);
    expect(ex.finished).toBe(true);
  });

  it('re-sends the request after a timeout, then fails after the retries and still closes', () => {
    const ex = new Exchange({ kind: 'read', address: ADDR, family: 'v4', readB: false }, TIMING);
    ex.handle({ type: 'start' });
    expect(hex(ex.handle({ type: 'timeout' }))).toEqual([toHex(readRequest(ADDR, 'A'))]);
    expect(hex(ex.handle({ type: 'timeout' }))).toEqual([toHex(readRequest(ADDR, 'A'))]);
    const last = ex.handle({ type: 'timeout' });
    expect(hex(last)).toEqual([toHex(CLOSE_STRING)]);
    expect(last.done).toMatchObject({ ok: false, failure: 'TIMEOUT', attempts: 3 });
  });

  it('reports a truncated reply on the completion timeout', () => {
    const ex = new Exchange({ kind: 'read', address: ADDR, family: 'v4', readB: false }, { ...TIMING, retries: 0 });
    ex.handle({ type: 'start' });
    ex.handle({ type: 'bytes', data: A.subarray(0, 200) });
    expect(ex.handle({ type: 'timeout' }).done).toMatchObject({ ok: false, failure: 'TRUNCATED' });
  });

  it('retries at once when the reply is from another meter', () => {
    const ex = new Exchange({ kind: 'read', address: ADDR, family: 'v4', readB: false }, TIMING);
    ex.handle({ type: 'start' });
    const other = buildReply({ kind: 'v4a', address: '000300001464' });
    expect(hex(ex.handle({ type: 'bytes', data: other }))).toEqual([toHex(readRequest(ADDR, 'A'))]);
    expect(ex.handle({ type: 'bytes', data: A }).done).toMatchObject({ ok: true, attempts: 2 });
  });

  it('retries at once on a bad CRC', () => {
    const ex = new Exchange({ kind: 'read', address: ADDR, family: 'v4', readB: false }, TIMING);
    ex.handle({ type: 'start' });
    const bad = Uint8Array.from(A);
    bad[253] = (bad[253] ?? 0) ^ 1;
    expect(hex(ex.handle({ type: 'bytes', data: bad }))).toEqual([toHex(readRequest(ADDR, 'A'))]);
  });

  it('fails when a B block arrives for the A request', () => {
    const ex = new Exchange({ kind: 'read', address: ADDR, family: 'v4', readB: false }, { ...TIMING, retries: 0 });
    ex.handle({ type: 'start' });
    expect(ex.handle({ type: 'bytes', data: B }).done).toMatchObject({ ok: false, failure: 'WRONG_BLOCK' });
  });
});

describe('Exchange (write)', () => {
  const plan = {
    kind: 'write' as const,
    address: ADDR,
    family: 'v4' as const,
    password: '00000000',
    command: relayCommand(1, 'close'),
  };

  it('reads A, sends the password, the command, then closes', () => {
    const ex = new Exchange(plan, TIMING);
    expect(hex(ex.handle({ type: 'start' }))).toEqual([toHex(readRequest(ADDR, 'A'))]);
    expect(hex(ex.handle({ type: 'bytes', data: A }))).toEqual([toHex(passwordCommand())]);
    expect(hex(ex.handle({ type: 'bytes', data: Uint8Array.of(ACK) }))).toEqual([toHex(plan.command)]);
    const done = ex.handle({ type: 'bytes', data: Uint8Array.of(ACK) });
    expect(hex(done)).toEqual([toHex(CLOSE_STRING)]);
    expect(done.done?.ok).toBe(true);
  });

  it('stops after a missing password ACK and never sends the command', () => {
    const ex = new Exchange(plan, TIMING);
    ex.handle({ type: 'start' });
    ex.handle({ type: 'bytes', data: A });
    const after = ex.handle({ type: 'timeout' });
    expect(hex(after)).toEqual([toHex(CLOSE_STRING)]);
    expect(after.done).toMatchObject({ ok: false, failure: 'NO_ACK' });
  });
});

describe('BusSchedule', () => {
  it('round-robins meters and reads B on the first and every Nth read', () => {
    const s = new BusSchedule(
      [
        { address: 'a', family: 'v4' },
        { address: 'b', family: 'v3' },
      ],
      3,
    );
    const seen = Array.from({ length: 8 }, () => s.next());
    expect(seen.map((r) => `${r.address}${r.readB ? 'B' : ''}`)).toEqual(['aB', 'b', 'a', 'b', 'a', 'b', 'aB', 'b']);
  });

  it('reads B every time with bEvery 1 and never with 0', () => {
    const every = new BusSchedule([{ address: 'a', family: 'v4' }], 1);
    expect([every.next(), every.next()].every((r) => r.readB)).toBe(true);
    const never = new BusSchedule([{ address: 'a', family: 'v4' }], 0);
    expect([never.next(), never.next()].some((r) => r.readB)).toBe(false);
  });

  it('fails when there are no meters', () => {
    expect(() => new BusSchedule([], 1)).toThrow('at least one meter');
  });
});

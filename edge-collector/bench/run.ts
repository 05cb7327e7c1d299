/**
 * Edge benchmark (`npm run bench --workspace edge-collector`): reads per minute on one bus against
 * the simulated Omnimeter at emulated 9600 baud 7E1 over a real pty, as a ratio to the wire-time
 * limit (bytes on the wire × 10 bits / 9600 + the modelled turnaround) and to EKM's library timing
 * (0.2 s after every write and every reply); plus frames decoded per second. Prints figures only.
 */

import { decodeFrame } from '../src/codec/decode';
import { buildReply } from '../src/codec/encode';
import { readMeter } from '../src/read-meter';
import { openPtyPair } from '../src/sim/pty-pair';
import { SimulatedBus } from '../src/sim/simulated-bus';
import type { Timers } from '../src/transport/byte-link';
import { SerialTransport } from '../src/transport/serial-transport';

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => performance.now(),
};
const BYTE_MS = 10_000 / 9600;
const TURNAROUND_MS = 10;
const LIBRARY_WAIT_MS = 200;
const ADDRESS = '000300001463';

async function busBench(readB: boolean, seconds: number): Promise<void> {
  const pty = await openPtyPair();
  const meterSide = await SerialTransport.open(pty.meter);
  const link = await SerialTransport.open(pty.bus);
  const bus = new SimulatedBus(meterSide, timers, {
    meters: [{ address: ADDRESS, family: 'v4' }],
    turnaroundMs: TURNAROUND_MS,
  });
  bus.start();
  // Warm up (JIT, pty buffers), then measure.
  await readMeter(link, timers, { address: ADDRESS, family: 'v4', readB }, 'bench');
  let reads = 0;
  let failures = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const r = await readMeter(link, timers, { address: ADDRESS, family: 'v4', readB }, 'bench');
    if (r.ok) reads++;
    else failures++;
  }
  const elapsedMs = performance.now() - started;
  bus.stop();
  await link.close();
  await meterSide.close();
  await pty.close();

  // Per full read: request(s) 19 B, reply 255 B each, close 5 B; one turnaround per reply.
  const exchanges = readB ? 2 : 1;
  const bytes = exchanges * (19 + 255) + 5;
  const wireMs = bytes * BYTE_MS + exchanges * TURNAROUND_MS;
  const writes = exchanges + 1;
  const libraryMs = wireMs + LIBRARY_WAIT_MS * (writes + exchanges);
  const perMinute = (reads / elapsedMs) * 60_000;
  const wirePerMinute = 60_000 / wireMs;
  const libraryPerMinute = 60_000 / libraryMs;
  console.log(
    [
      `bus, ${readB ? 'A+B' : 'A only'} full reads of one v4 meter, ${seconds} s at emulated 9600 baud 7E1 (turnaround ${TURNAROUND_MS} ms):`,
      `  measured           ${perMinute.toFixed(1)} reads/min (${reads} ok, ${failures} failed, ${(elapsedMs / Math.max(1, reads)).toFixed(1)} ms/read)`,
      `  wire-time limit    ${wirePerMinute.toFixed(1)} reads/min (${bytes} bytes/read → ${wireMs.toFixed(1)} ms)`,
      `  EKM library timing ${libraryPerMinute.toFixed(1)} reads/min (${libraryMs.toFixed(1)} ms: + 0.2 s × ${writes} writes + ${exchanges} replies)`,
      `  ratio to wire limit     ${(perMinute / wirePerMinute).toFixed(3)}  (goal ≥ 0.85)`,
      `  ratio to library timing ${(perMinute / libraryPerMinute).toFixed(2)}×`,
    ].join('\n'),
  );
}

function decodeBench(seconds: number): void {
  const a = buildReply({
    kind: 'v4a',
    address: ADDRESS,
    raw: { kWh_Scale: '2', kWh_Tot: '00123456', Cos_Theta_Ln_1: 'L095' },
  });
  const b = buildReply({ kind: 'v4b', address: ADDRESS, raw: { CT_Ratio: '0200' } });
  for (let i = 0; i < 2000; i++) decodeFrame(i % 2 ? a : b, { scale: 2 });
  let frames = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    for (let i = 0; i < 1000; i++) decodeFrame(i % 2 ? a : b, { address: ADDRESS, scale: 2 });
    frames += 1000;
  }
  const perSecond = frames / ((performance.now() - started) / 1000);
  console.log(
    `codec: ${Math.round(perSecond).toLocaleString('en-US')} frames decoded/s (checked: length, 7-bit, STX, trailer, CRC, type, address, every field)`,
  );
}

async function main(): Promise<void> {
  const seconds = Number(process.env.EDGE_BENCH_SECONDS ?? 15);
  decodeBench(2);
  await busBench(true, seconds);
  await busBench(false, Math.max(5, Math.round(seconds / 2)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

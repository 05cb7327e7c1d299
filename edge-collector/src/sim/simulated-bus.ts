/**
 * A bus of simulated Omnimeters behind a ByteLink (the meter side of a socat pty pair). It answers
 * like real meters: read requests (v3, A, B), password → ACK, writes → ACK (relays, set time, CT
 * ratio, …), close. The line is paced like 9600 baud 7E1 (10 bits per byte) in both directions
 * plus a modelled turnaround, because a pty moves bytes instantly and ignores baud and parity.
 * Fault modes hit every Nth reply: silence, noise, bad CRC, truncated.
 */
import { ekmCrcBytes } from '../codec/crc';
import type { ByteLink, Timers } from '../transport/byte-link';
import { type SimMeterSpec, SimulatedMeter } from './simulated-meter';

export type FaultMode = 'silence' | 'noise' | 'bad-crc' | 'truncated';

export interface SimulatedBusOptions {
  readonly meters: readonly SimMeterSpec[];
  readonly baud?: number;
  /** Time from the last byte of a request to the first byte of the reply. */
  readonly turnaroundMs?: number;
  readonly fault?: { readonly mode: FaultMode; readonly every: number };
}

export interface BusStats {
  requests: number;
  replies: number;
  acks: number;
  faults: number;
  closes: number;
  unknown: number;
  /** Bytes received and sent (for wire-time figures). */
  bytesIn: number;
  bytesOut: number;
}

const SOH = 0x01;
const ETX = 0x03;
const REQUEST = /^\/\?(\d{12})(00|01)?!\r\n$/;

export class SimulatedBus {
  readonly meters = new Map<string, SimulatedMeter>();
  readonly stats: BusStats = {
    requests: 0,
    replies: 0,
    acks: 0,
    faults: 0,
    closes: 0,
    unknown: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  private readonly byteMs: number;
  private readonly turnaroundMs: number;
  private inbound: number[] = [];
  private inboundFreeAt = 0;
  private outboundFreeAt = 0;
  private selected: SimulatedMeter | undefined;
  private authorised = false;
  private queue: Promise<void> = Promise.resolve();
  private unsubscribe: () => void = () => {};
  private noiseSeed = 12345;

  constructor(
    private readonly link: ByteLink,
    private readonly timers: Timers,
    private readonly options: SimulatedBusOptions,
  ) {
    this.byteMs = 10_000 / (options.baud ?? 9600);
    this.turnaroundMs = options.turnaroundMs ?? 10;
    for (const spec of options.meters) this.meters.set(spec.address, new SimulatedMeter(spec));
  }

  start(): void {
    this.unsubscribe = this.link.onData((chunk) => this.receive(chunk));
  }

  stop(): void {
    this.unsubscribe();
  }

  private receive(chunk: Uint8Array): void {
    const now = this.timers.now();
    this.stats.bytesIn += chunk.length;
    // The bytes "finish arriving" as if they had crossed a 9600-baud line.
    this.inboundFreeAt = Math.max(now, this.inboundFreeAt) + chunk.length * this.byteMs;
    this.inbound.push(...chunk);
    for (;;) {
      const message = this.takeMessage();
      if (!message) break;
      this.handle(message, this.inboundFreeAt);
    }
  }

  /** Cut one complete host message off the inbound buffer (request, SOH…ETX crc crc, close). */
  private takeMessage(): Uint8Array | undefined {
    const buf = this.inbound;
    while (buf.length > 0 && buf[0] !== 0x2f && buf[0] !== SOH) buf.shift();
    if (buf.length === 0) return undefined;
    if (buf[0] === 0x2f) {
      const end = buf.indexOf(0x0a);
      if (end < 0) {
        if (buf.length <= 40) return undefined;
        buf.shift(); // far too long for a request: garbage
        return this.takeMessage();
      }
      return Uint8Array.from(buf.splice(0, end + 1));
    }
    const etx = buf.indexOf(ETX);
    if (etx < 0 || buf.length < etx + 2) return undefined;
    // The close string ends with a fixed 'u' (one byte after ETX); commands end with 2 CRC bytes.
    if (buf[1] === 0x42 && buf[2] === 0x30 && etx === 3) return Uint8Array.from(buf.splice(0, 5));
    if (buf.length < etx + 3) return undefined;
    return Uint8Array.from(buf.splice(0, etx + 3));
  }

  private handle(message: Uint8Array, arrivedAt: number): void {
    const text = String.fromCharCode(...message);
    const request = REQUEST.exec(text);
    if (request) {
      this.stats.requests++;
      const meter = this.meters.get(request[1]!);
      this.selected = meter;
      this.authorised = false;
      if (!meter) return; // not on this bus: silence
      const selector = request[2];
      if (meter.family === 'v3' ? selector !== undefined : selector === undefined) return;
      const block = meter.family === 'v3' ? 'v3' : selector === '01' ? 'B' : 'A';
      this.send(this.withFault(meter.reply(block, this.timers.now())), arrivedAt);
      this.stats.replies++;
      return;
    }
    if (message[0] === SOH && text.slice(1, 3) === 'B0') {
      this.stats.closes++;
      this.selected = undefined;
      this.authorised = false;
      return;
    }
    const meter = this.selected;
    const inner = message.subarray(1, message.length - 2);
    const [lo, hi] = ekmCrcBytes(inner);
    if (!meter || message[message.length - 2] !== lo || message[message.length - 1] !== hi) {
      this.stats.unknown++;
      return;
    }
    // Strip STX (after the 2-char head) and the trailing ETX, then match the printable part.
    const innerText = String.fromCharCode(...inner);
    const body =
      inner[2] === 0x02 && inner[inner.length - 1] === ETX
        ? /^(P1|W1|R1)(?:00([0-9A-F]{2}))?\((\d*)\)$/.exec(innerText.slice(0, 2) + innerText.slice(3, -1))
        : null;
    if (!body) {
      this.stats.unknown++;
      return;
    }
    const [, head, cmd, data] = body;
    if (head === 'P1') {
      this.authorised = data === meter.password;
      if (this.authorised) this.ack(arrivedAt);
      return;
    }
    if (head === 'W1' && this.authorised && this.apply(meter, cmd ?? '', data ?? '')) this.ack(arrivedAt);
  }

  private apply(meter: SimulatedMeter, cmd: string, data: string): boolean {
    if ((cmd === '81' || cmd === '82') && /^[01]\d{4}$/.test(data)) {
      const relay = cmd === '81' ? 0 : 1;
      const closed = data[0] === '1';
      meter.relays[relay] = closed;
      const seconds = Number(data.slice(1));
      if (seconds > 0) {
        this.timers.setTimeout(() => {
          meter.relays[relay] = !closed;
        }, seconds * 1000);
      }
      return true;
    }
    if (cmd === '60') return meter.setClock(data, this.timers.now());
    if (cmd === 'D0' && /^\d{4}$/.test(data)) {
      meter.ctRatio = Number(data);
      return true;
    }
    return /^(50|D5|40|A[0-2]|D4|D3|D2|20|C0|7[0-5]|80|B0)$/.test(cmd);
  }

  private ack(arrivedAt: number): void {
    this.stats.acks++;
    this.send(Uint8Array.of(0x06), arrivedAt);
  }

  private withFault(frame: Uint8Array): Uint8Array {
    const fault = this.options.fault;
    if (!fault || fault.every <= 0 || (this.stats.replies + 1) % fault.every !== 0) return frame;
    this.stats.faults++;
    if (fault.mode === 'silence') return new Uint8Array(0);
    if (fault.mode === 'truncated') return frame.subarray(0, 200);
    if (fault.mode === 'bad-crc') {
      const copy = Uint8Array.from(frame);
      copy[253] = (copy[253] ?? 0) ^ 0x01;
      return copy;
    }
    // Noise: line garbage (7-bit, including a stray STX) before the real reply.
    const noise = Array.from({ length: 12 }, () => {
      this.noiseSeed = (this.noiseSeed * 1103515245 + 12345) & 0x7fffffff;
      return (this.noiseSeed >> 8) & 0x7f;
    });
    noise[3] = 0x02;
    return Uint8Array.from([...noise, ...frame]);
  }

  /** Write `bytes` paced at the line rate, starting one turnaround after the request arrived. */
  private send(bytes: Uint8Array, arrivedAt: number): void {
    if (bytes.length === 0) return;
    const start = Math.max(arrivedAt + this.turnaroundMs, this.outboundFreeAt);
    this.outboundFreeAt = start + bytes.length * this.byteMs;
    this.stats.bytesOut += bytes.length;
    this.queue = this.queue.then(() => this.pace(bytes, start));
  }

  private async pace(bytes: Uint8Array, start: number): Promise<void> {
    let sent = 0;
    while (sent < bytes.length) {
      const now = this.timers.now();
      const due = Math.min(bytes.length, Math.floor((now - start) / this.byteMs) + 1);
      if (due > sent) {
        await this.link.write(bytes.subarray(sent, due));
        sent = due;
      }
      if (sent < bytes.length) {
        const nextAt = start + sent * this.byteMs;
        await new Promise<void>((resolve) =>
          this.timers.setTimeout(resolve, Math.max(1, Math.min(8, nextAt - this.timers.now()))),
        );
      }
    }
  }
}

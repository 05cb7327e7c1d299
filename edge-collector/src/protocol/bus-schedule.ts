/**
 * Round-robin over the meters on one bus. Block B (tariffs, CT ratio, max demand, ...) changes
 * slowly, so it can be read on every read (`bEvery: 1`) or every Nth read per meter; the first
 * read of each meter always includes B. `bEvery: 0` never reads B.
 */
import type { MeterFamily } from './exchange';

export interface BusMeter {
  readonly address: string;
  readonly family: MeterFamily;
}

export interface ScheduledRead {
  readonly address: string;
  readonly family: MeterFamily;
  readonly readB: boolean;
}

export class BusSchedule {
  private index = 0;
  private readonly reads = new Map<string, number>();

  constructor(
    private readonly meters: readonly BusMeter[],
    private readonly bEvery: number,
  ) {
    if (meters.length === 0) throw new Error('a bus schedule needs at least one meter');
    if (!Number.isInteger(bEvery) || bEvery < 0) throw new Error(`bEvery must be an integer >= 0, got ${bEvery}`);
  }

  next(): ScheduledRead {
    const meter = this.meters[this.index % this.meters.length]!;
    this.index++;
    const count = this.reads.get(meter.address) ?? 0;
    this.reads.set(meter.address, count + 1);
    const readB = meter.family === 'v4' && this.bEvery > 0 && count % this.bEvery === 0;
    return { address: meter.address, family: meter.family, readB };
  }
}

/**
 * Writes examples/readings-2026-03.csv: 15-minute register reads for the three meters of
 * examples/billing.yaml through March 2026 (New York time, so the DST change on 8 March is in it).
 * Deterministic (a fixed-seed generator), so re-running gives the same bytes.
 *
 *   npx tsx scripts/make-example-readings.ts
 *
 * Reads are a few seconds off the quarter hours, as real meters are, and meter 000300000012 misses
 * five hours of reads on 18 March, so the example invoice shows an estimated-usage flag.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const METERS = [
  { id: '000300000011', baseKw: 0.35, peakKw: 1.6, start: 18_402.5 },
  { id: '000300000012', baseKw: 0.5, peakKw: 2.4, start: 7_311.25 },
  { id: '000300000013', baseKw: 0.9, peakKw: 1.2, start: 52_118 },
];
const FROM = Date.parse('2026-02-28T23:00:00Z');
const TO = Date.parse('2026-04-01T06:00:00Z');
const GAP = [Date.parse('2026-03-18T14:00:00Z'), Date.parse('2026-03-18T19:00:00Z')];
const STEP = 15 * 60_000;

/** Mulberry32: a small deterministic generator. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hourOf = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' });

/** Average kW at a local hour: base load, a morning bump and an evening peak. */
function kwAt(hour: number, base: number, peak: number, noise: number): number {
  const morning = hour >= 6 && hour < 9 ? 0.5 * peak : 0;
  const evening = hour >= 17 && hour < 22 ? peak : 0;
  return Math.max(0.05, base + morning + evening + (noise - 0.5) * 0.3);
}

const lines = ['meter,time,kWh_Tot'];
for (const [k, m] of METERS.entries()) {
  const random = rng(20260301 + k);
  let register = m.start;
  for (let t = FROM; t <= TO; t += STEP) {
    const jitterMs = Math.floor(random() * 20) * 1000 + 3000;
    const at = t + jitterMs;
    const kw = kwAt(Number(hourOf.format(t)), m.baseKw, m.peakKw, random());
    if (!(m.id === '000300000012' && at > GAP[0]! && at < GAP[1]!)) {
      lines.push(`${m.id},${new Date(at).toISOString().replace('.000Z', 'Z')},${register.toFixed(3)}`);
    }
    register += kw / 4;
  }
}
const out = join(__dirname, '..', 'examples', 'readings-2026-03.csv');
writeFileSync(out, `${lines.join('\n')}\n`);
process.stdout.write(`wrote ${lines.length - 1} reads to ${out}\n`);

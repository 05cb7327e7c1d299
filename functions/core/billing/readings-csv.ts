/**
 * The `--readings` CSV: `meter,time,kWh_Tot` plus optional `Rev_kWh_Tot` and `kWh_Tariff_1..4`
 * (other columns are ignored, so a lake export can be passed as is). Pure and streaming-friendly:
 * feed lines one by one to {@link ReadingsCsvParser}; a malformed row fails naming its line.
 */

import { ValidationError } from '../errors';
import { type MeterId, toMeterId } from '../readings/meter-id';
import type { MeterReadList, RegisterRead } from './model';

/** Register reads per meter, each in time order: read objects (files) or columns (the lake). */
export type ReadingsByMeter = ReadonlyMap<MeterId, MeterReadList>;

const REQUIRED = ['meter', 'time', 'kWh_Tot'] as const;
const TARIFF_COLUMNS = ['kWh_Tariff_1', 'kWh_Tariff_2', 'kWh_Tariff_3', 'kWh_Tariff_4'] as const;
/** ISO-8601 date-time with seconds optional, fraction optional, and a required `Z` or offset. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Line-by-line parser; call {@link line} for every line (header first), then {@link finish}. */
export class ReadingsCsvParser {
  private lineNo = 0;
  private cols?: {
    meter: number;
    time: number;
    tot: number;
    rev: number;
    tariffs: number[];
    width: number;
  };
  private readonly byMeter = new Map<MeterId, RegisterRead[]>();
  /** Meter ids already padded, by the text in the file (most files repeat a few meters). */
  private readonly ids = new Map<string, MeterId>();
  private rows = 0;

  constructor(private readonly file: string) {}

  private fail(message: string): never {
    throw new ValidationError(`${this.file}:${this.lineNo}`, message);
  }

  line(raw: string): void {
    this.lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const cells = splitCsv(text);
    if (!this.cols) {
      const names = cells.map((c) => c.trim().replace(/^\uFEFF/, ''));
      for (const need of REQUIRED) {
        if (!names.includes(need))
          this.fail(
            `header has no ${need} column (got ${names.join(',')}); the first line must name at least meter,time,kWh_Tot`,
          );
      }
      this.cols = {
        meter: names.indexOf('meter'),
        time: names.indexOf('time'),
        tot: names.indexOf('kWh_Tot'),
        rev: names.indexOf('Rev_kWh_Tot'),
        tariffs: TARIFF_COLUMNS.map((c) => names.indexOf(c)),
        width: names.length,
      };
      return;
    }
    const c = this.cols;
    if (cells.length !== c.width) this.fail(`expected ${c.width} columns like the header, got ${cells.length}`);
    const meterText = cells[c.meter]!.trim();
    let meter = this.ids.get(meterText);
    if (meter === undefined) {
      try {
        meter = toMeterId(meterText);
      } catch {
        this.fail(`meter ${JSON.stringify(meterText)} is not a meter address (1-12 digits, e.g. 000300000001)`);
      }
      this.ids.set(meterText, meter);
    }
    const timeText = cells[c.time]!.trim();
    const timeMs = ISO_TIME.test(timeText) ? Date.parse(timeText) : Number.NaN;
    if (Number.isNaN(timeMs))
      this.fail(
        `time ${JSON.stringify(timeText)} is not an ISO-8601 time with a zone; write e.g. 2026-03-01T00:15:00Z or 2026-03-01T00:15:00-05:00`,
      );
    const kWhTot = this.number(cells[c.tot]!, 'kWh_Tot', true)!;
    const revKWhTot = c.rev >= 0 ? this.number(cells[c.rev]!, 'Rev_kWh_Tot', false) : undefined;
    let tariffKWh: (number | undefined)[] | undefined;
    for (let k = 0; k < 4; k++) {
      const idx = c.tariffs[k]!;
      if (idx < 0) continue;
      const v = this.number(cells[idx]!, TARIFF_COLUMNS[k]!, false);
      if (v !== undefined) {
        tariffKWh ??= [undefined, undefined, undefined, undefined];
        tariffKWh[k] = v;
      }
    }
    const read: RegisterRead = {
      timeMs,
      kWhTot,
      ...(revKWhTot !== undefined ? { revKWhTot } : {}),
      ...(tariffKWh ? { tariffKWh } : {}),
    };
    let list = this.byMeter.get(meter);
    if (!list) {
      list = [];
      this.byMeter.set(meter, list);
    }
    list.push(read);
    this.rows++;
  }

  private number(cell: string, column: string, required: boolean): number | undefined {
    const text = cell.trim();
    if (text === '') {
      if (required) this.fail(`${column} is empty; every row needs a kWh_Tot register value`);
      return undefined;
    }
    if (!NUMBER.test(text)) this.fail(`${column} ${JSON.stringify(text)} is not a number`);
    return Number(text);
  }

  /** The reads per meter in time order (stable: the last of several reads at one instant wins in usage). */
  finish(): { readonly byMeter: ReadingsByMeter; readonly rows: number } {
    if (!this.cols) {
      this.lineNo = Math.max(this.lineNo, 1);
      this.fail('empty file; expected a header line meter,time,kWh_Tot and one row per read');
    }
    for (const list of this.byMeter.values()) {
      let sorted = true;
      for (let k = 1; k < list.length && sorted; k++) sorted = list[k]!.timeMs >= list[k - 1]!.timeMs;
      if (!sorted) list.sort((a, b) => a.timeMs - b.timeMs);
    }
    return { byMeter: this.byMeter, rows: this.rows };
  }
}

/** Parse a whole readings CSV text (small files and tests). */
export function parseReadingsCsv(
  text: string,
  file: string,
): { readonly byMeter: ReadingsByMeter; readonly rows: number } {
  const parser = new ReadingsCsvParser(file);
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start || end < text.length) parser.line(text.slice(start, end));
    start = end + 1;
  }
  return parser.finish();
}

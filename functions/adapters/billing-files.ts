import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type BillingFile, parseBillingFileText } from '../core/billing/billing-file';
import type { MeterReadList, RegisterRead } from '../core/billing/model';
import { type ReadingsByMeter, ReadingsCsvParser } from '../core/billing/readings-csv';
import { asError, ValidationError } from '../core/errors';
import { decodeRows } from '../core/parquet/encode';
import { type MeterId, toMeterId } from '../core/readings/meter-id';
import type { BillingFileSource, ReadingsSource } from '../ports/billing-sources';

function why(error: unknown): string {
  // Read `code` off the value itself: errors from another realm (jest's vm) are not `instanceof Error`.
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : asError(error).message;
}

/** The billing file on disk; URDB records are read relative to its folder (and cached). */
export class FileBillingSource implements BillingFileSource {
  private readonly records = new Map<string, Promise<unknown>>();
  constructor(readonly file: string) {}

  async load(): Promise<BillingFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (cause) {
      throw new ValidationError(this.file, `cannot read the billing file (${why(cause)}); check --billing`, { cause });
    }
    return parseBillingFileText(text, this.file);
  }

  urdbRecord(path: string, pointer: string): Promise<unknown> {
    const abs = resolve(dirname(this.file), path);
    let record = this.records.get(abs);
    if (!record) {
      record = readUrdbRecord(abs, path, `${this.file}: ${pointer}`);
      this.records.set(abs, record);
    }
    return record;
  }
}

/** A URDB record file: the record itself, or OpenEI's API answer `{ items: [record] }`. */
async function readUrdbRecord(abs: string, written: string, where: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (cause) {
    throw new ValidationError(
      where,
      `cannot read the URDB record ${JSON.stringify(written)} (${abs}: ${why(cause)}); the path is relative to the billing file`,
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(where, `${written} is not JSON: ${asError(cause).message}`, { cause });
  }
  const items = (json as { items?: unknown }).items;
  if (Array.isArray(items)) {
    if (items.length !== 1)
      throw new ValidationError(
        where,
        `${written} is an OpenEI answer with ${items.length} records; keep the one record the plan uses`,
      );
    return items[0];
  }
  return json;
}

/** Reads of a `--readings` file: CSV (streamed line by line) or a lake Parquet file (realtime schema). */
export class FileReadingsSource implements ReadingsSource {
  private loaded?: Promise<ReadingsByMeter>;
  constructor(
    private readonly file: string,
    private readonly onRows?: (rows: number) => void,
  ) {}

  get description(): string {
    return this.file;
  }

  async readings(meters: readonly MeterId[]): Promise<ReadingsByMeter> {
    this.loaded ??= this.load();
    const all = await this.loaded;
    const out = new Map<MeterId, MeterReadList>();
    for (const m of meters) {
      const reads = all.get(m);
      if (reads) out.set(m, reads);
    }
    return out;
  }

  private async load(): Promise<ReadingsByMeter> {
    let head: Buffer;
    try {
      const handle = await open(this.file, 'r');
      try {
        head = Buffer.alloc(4);
        await handle.read(head, 0, 4, 0);
      } finally {
        await handle.close();
      }
    } catch (cause) {
      throw new ValidationError('--readings', `cannot read ${this.file} (${why(cause)})`, { cause });
    }
    return head.toString('latin1') === 'PAR1' ? this.loadParquet() : this.loadCsv();
  }

  private async loadCsv(): Promise<ReadingsByMeter> {
    const parser = new ReadingsCsvParser(this.file);
    const lines = createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    for await (const line of lines) {
      parser.line(line);
      if (++n % 100_000 === 0) this.onRows?.(n);
    }
    const { byMeter, rows } = parser.finish();
    this.onRows?.(rows);
    return byMeter;
  }

  private async loadParquet(): Promise<ReadingsByMeter> {
    const rows = decodeRows(new Uint8Array(await readFile(this.file)));
    if (rows.length > 0 && !('kWh_Tot' in rows[0]!))
      throw new ValidationError(
        '--readings',
        `${this.file} is not a realtime lake file (no kWh_Tot column); pass a file of dataset=realtime or a CSV`,
      );
    const byMeter = new Map<MeterId, RegisterRead[]>();
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    for (const row of rows) {
      if (row.good === false) continue;
      const kWhTot = num(row.kWh_Tot);
      const timeMs = num(row.time);
      if (kWhTot === undefined || timeMs === undefined || typeof row.meter !== 'string') continue;
      const rev = num(row.Rev_kWh_Tot);
      const tariffs = [row.kWh_Tariff_1, row.kWh_Tariff_2, row.kWh_Tariff_3, row.kWh_Tariff_4].map(num);
      const read: RegisterRead = {
        timeMs,
        kWhTot,
        ...(rev !== undefined ? { revKWhTot: rev } : {}),
        ...(tariffs.some((t) => t !== undefined) ? { tariffKWh: tariffs } : {}),
      };
      const meter = toMeterId(row.meter, `${this.file}: meter`);
      const list = byMeter.get(meter) ?? [];
      list.push(read);
      byMeter.set(meter, list);
    }
    for (const list of byMeter.values()) list.sort((a, b) => a.timeMs - b.timeMs);
    this.onRows?.(rows.length);
    return byMeter;
  }
}

/** Without --readings, usage would come from the lake: not built yet. */
export class LakeReadingsNotAvailable implements ReadingsSource {
  readonly description = 'the lake';
  async readings(): Promise<ReadingsByMeter> {
    throw new ValidationError(
      '--readings',
      'billing from the lake is not available yet; pass --readings FILE (a CSV meter,time,kWh_Tot or a realtime lake Parquet file)',
    );
  }
}

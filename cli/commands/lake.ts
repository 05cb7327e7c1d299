import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { lakeCacheDir, queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { resolveEkmKey } from '../../functions/adapters/ekm/clients';
import { DefaultSecretResolver } from '../../functions/adapters/secret-resolvers';
import { type LakeWiring, lakeSections, openLake } from '../../functions/composition/lake';
import { keyAliasesToRun } from '../../functions/config/key-alias';
import type { ProjectConfig } from '../../functions/config/project-config';
import { redactError, ValidationError } from '../../functions/core/errors';
import { CONFIG_OPTION_HELP, findProjectConfig } from '../config-option';
import { EXIT_OK, printResult, progress } from '../output';

interface LakeOpts {
  config?: string;
  keyAlias?: string;
  json?: boolean;
  shards?: string;
  memoryMb?: string;
  from?: string;
  to?: string;
  date?: string;
  origin?: string;
  lakeDir?: string;
  cacheDir?: string;
}

function findConfig(opts: LakeOpts): ProjectConfig {
  return findProjectConfig(opts.config);
}

function shardsOf(opts: LakeOpts): number {
  const n = Number(opts.shards ?? '1');
  if (!Number.isInteger(n) || n < 1 || n > 99)
    throw new ValidationError('--shards', `expected an integer 1..99, got ${JSON.stringify(opts.shards)}`);
  return n;
}

/** `2026-11-01`, `2026-11-01T10:15Z` or `202611011015` (EKM's form, UTC) → epoch ms. */
export function parseTimeFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ekm = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  const ms = ekm
    ? Date.UTC(Number(ekm[1]), Number(ekm[2]) - 1, Number(ekm[3]), Number(ekm[4]), Number(ekm[5]))
    : /^\d{4}-\d{2}-\d{2}/.test(value)
      ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value)
      : Number.NaN;
  if (!Number.isFinite(ms) || !realCalendarDate(value))
    throw new ValidationError(
      flag,
      `cannot read ${JSON.stringify(value)} as a time; use 2026-11-01, 2026-11-01T10:15Z or 202611011015 (UTC)`,
    );
  return ms;
}

/** False for a date that does not exist (2026-02-30, 2026-13-45), which Date.parse may roll over. */
function realCalendarDate(value: string): boolean {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(value);
  if (!m) return true;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]) && Number(m[2]) >= 1;
}

async function withLake<T>(opts: LakeOpts, fn: (lake: LakeWiring, config: ProjectConfig) => Promise<T>): Promise<T> {
  const config = findConfig(opts);
  const memoryMb = opts.memoryMb === undefined ? undefined : Number(opts.memoryMb);
  if (memoryMb !== undefined && !(Number.isInteger(memoryMb) && memoryMb >= 128))
    throw new ValidationError('--memory-mb', `expected an integer ≥ 128, got ${JSON.stringify(opts.memoryMb)}`);
  const lake = openLake(config, { shards: shardsOf(opts), ...(memoryMb ? { memoryMb } : {}) });
  try {
    return await fn(lake, config);
  } finally {
    await lake.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function registerLake(program: Command): void {
  const common = (cmd: Command) =>
    cmd.option('--config <path>', CONFIG_OPTION_HELP).option('--json', 'print a JSON document instead of text', false);

  const ingest = program
    .command('ingest')
    .description('Pull EKM data into the Parquet lake (realtime reads or 15-minute summaries)');

  common(
    ingest
      .command('realtime')
      .description(
        'Discover meters (Account API), pull new reads per meter since its cursor, write Parquet, heal gaps from summaries',
      )
      .option('--key-alias <alias>', 'which configured key; default: every key')
      .option('--shards <n>', 'meter shards per hour object (layout; keep it stable)', '1')
      .option(
        '--memory-mb <mb>',
        'memory budget of the run: meters are read in chunks that fit it, two at a time (default 1024)',
      ),
  ).action(async (opts: LakeOpts) => {
    const results = await withLake(opts, async (lake, config) => {
      const out = [];
      for (const alias of keyAliasesToRun(config, opts.keyAlias)) {
        const key = await resolveEkmKey(config, alias, new DefaultSecretResolver());
        try {
          let bar: ReturnType<typeof progress> | undefined;
          let last = 0;
          const result = await lake.ingestRealtime({
            key,
            onProgress: (done, total) => {
              bar ??= progress(`ingest realtime ${alias} (meters)`, total);
              bar.tick(done - last);
              last = done;
            },
          });
          out.push({ ...result, requests: lake.requests() });
        } catch (error) {
          throw redactError(error, [key.key]);
        }
      }
      return out;
    });
    printResult(opts, results, () =>
      results
        .map((r) =>
          [
            `${r.alias}: ${r.reads} reads from ${r.meters} meters (${r.failedReads} failed reads kept, ${r.quarantined} quarantined) → ${r.objects} objects`,
            ...r.gaps.map(
              (g) =>
                `  gap: meter ${g.meter} ${iso(g.fromMs)} → ${iso(g.toMs)} (${Math.round((g.toMs - g.fromMs) / 60_000)} min) filled with ${g.filledBuckets} summary buckets (source=summary)`,
            ),
          ].join('\n'),
        )
        .join('\n'),
    );
    process.exitCode = EXIT_OK;
  });

  common(
    ingest
      .command('summary')
      .description('Pull 15-minute summaries into the lake; --from/--to backfill any range (idempotent)')
      .option('--key-alias <alias>', 'which configured key; default: every key')
      .option(
        '--from <time>',
        'start (UTC): 2026-11-01, 2026-11-01T10:15Z or 202611011015; default: the summary cursor or 1 day back',
      )
      .option('--to <time>', 'end (UTC, exclusive); default: now (last complete 15-minute bucket)')
      .option('--shards <n>', 'meter shards per day object (layout; keep it stable)', '1'),
  ).action(async (opts: LakeOpts) => {
    const fromMs = parseTimeFlag('--from', opts.from);
    const toMs = parseTimeFlag('--to', opts.to);
    const results = await withLake(opts, async (lake, config) => {
      const out = [];
      for (const alias of keyAliasesToRun(config, opts.keyAlias)) {
        const key = await resolveEkmKey(config, alias, new DefaultSecretResolver());
        let bar: ReturnType<typeof progress> | undefined;
        try {
          out.push(
            await lake.ingestSummary({
              key,
              ...(fromMs !== undefined ? { fromMs } : {}),
              ...(toMs !== undefined ? { toMs } : {}),
              onProgress: (done, total) => {
                bar ??= progress(`ingest summary ${alias} (days)`, total);
                if (done > 0) bar.tick();
              },
            }),
          );
        } catch (error) {
          throw redactError(error, [key.key]);
        }
      }
      return out;
    });
    printResult(opts, results, () =>
      results
        .map(
          (r) =>
            `${r.alias}: ${r.buckets} buckets for ${r.meters} meters, ${iso(r.fromMs)} → ${iso(r.toMs)} (${r.days} days, ${r.quarantined} quarantined) → ${r.keys.length} objects`,
        )
        .join('\n'),
    );
  });

  common(
    program
      .command('compact')
      .description("Merge each finished UTC day's hourly realtime objects into one object per shard (idempotent)")
      .option('--date <YYYY-MM-DD>', 'only this UTC day (default: every day before today)')
      .option('--origin <alias>', 'only this key alias / gateway id (default: all)'),
  ).action(async (opts: LakeOpts) => {
    if (opts.date !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(opts.date) || !realCalendarDate(opts.date)))
      throw new ValidationError(
        '--date',
        `expected a UTC date YYYY-MM-DD that exists, got ${JSON.stringify(opts.date)}`,
      );
    const result = await withLake(opts, (lake) =>
      lake.compact({ ...(opts.date ? { date: opts.date } : {}), ...(opts.origin ? { origins: [opts.origin] } : {}) }),
    );
    printResult(opts, result, () =>
      result.days.length === 0
        ? 'nothing to compact'
        : result.days
            .map((d) => `${d.origin} ${d.date} s${d.shard}: ${d.inputs} objects → ${d.key} (${d.rows} rows)`)
            .join('\n'),
    );
  });

  common(
    program
      .command('query')
      .argument('<sql>', 'SQL over the views realtime, summary, quarantine (DuckDB dialect)')
      .description('Run SQL over the lake with DuckDB (objects are mirrored into a local cache first)')
      .option('--lake-dir <dir>', 'query a folder of lake files directly (no config, no S3)')
      .option('--cache-dir <dir>', 'root of the mirror folders (one per lake bucket + prefix)', '.local/lake-cache'),
  ).action(async (sql: string, opts: LakeOpts) => {
    let dir = opts.lakeDir ? resolve(opts.lakeDir) : undefined;
    if (dir && !existsSync(dir))
      throw new ValidationError(
        '--lake-dir',
        `${JSON.stringify(opts.lakeDir)} does not exist; pass a folder of lake files (after npm start: .local/lake-cache/ekm-lake), or leave --lake-dir out to query the configured lake`,
      );
    if (!dir) {
      const config = findConfig(opts);
      const lake = openLake(config);
      try {
        dir = lakeCacheDir(resolve(opts.cacheDir ?? '.local/lake-cache'), lakeSections(config).lake);
        const synced = await syncLakeToDir(lake.objectStore, lake.prefix, dir);
        process.stderr.write(
          `lake: ${synced.files} objects (${synced.downloaded} downloaded, ${synced.removed} removed) in ${dir}\n`,
        );
        if (synced.untracked > 0)
          process.stderr.write(
            `note: ${synced.untracked} .parquet file(s) in ${dir} were not written by the mirror; they are left alone (the views read those under dataset=*/)\n`,
          );
      } finally {
        await lake.close();
      }
    }
    const result = await queryLakeDir(dir, sql);
    printResult(opts, result.rows, () => renderTable(result.columns, result.rows));
  });
}

/** A plain text table for humans. */
export function renderTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const text = (v: unknown) =>
    v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = columns.map((c) => Math.min(40, Math.max(c.length, ...rows.map((r) => text(r[c]).length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.slice(0, 40).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line([...columns]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => text(r[c])))),
    `(${rows.length} rows)`,
  ].join('\n');
}

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { asError, EkmPipelineError } from '../core/errors';
import { type ColumnType, columnsOf, DATASETS } from '../core/parquet/lake-schema';
import { normalizePrefix, parseObjectKey } from '../core/parquet/object-keys';
import type { ObjectStore } from '../ports/object-store';

/**
 * DuckDB over the lake. @duckdb/node-api has no httpfs, so the lake's objects are mirrored into a
 * local cache folder first (only changed objects are downloaded; files the mirror wrote whose
 * objects left the lake, e.g. hourly files merged by compaction, are removed so nothing is counted
 * twice; nothing else in the folder is touched).
 * Views `realtime`, `summary` and `quarantine` are pre-registered (Hive partitions `dataset`,
 * `date`, `origin` become columns); an empty dataset is an empty view with the full schema.
 * `realtime` holds one row per meter + time + source even while a read sits in two objects (an
 * edge batch object or a late hourly object beside a compacted day, until the next compaction):
 * the row of the compacted day object wins, then the object with the lowest key, the order
 * compaction merges in (use-cases/write-readings.ts `lakeObjectOrder`). The same view exists in
 * Athena (lib/constructs/readings-lake.ts). `realtime_objects` shows every stored row, for checks.
 */
const MANIFEST = '.manifest.json';

/**
 * The cache folder of one lake: `<root>/<bucket>` without a prefix, `<root>/<bucket>~<prefix>` with
 * one, so configs that share a bucket under different prefixes never share (or prune) a cache.
 */
export function lakeCacheDir(root: string, lake: { readonly bucket: string; readonly prefix?: string }): string {
  const prefix = normalizePrefix(lake.prefix).replace(/\/+$/, '');
  return join(root, prefix ? `${lake.bucket}~${prefix.replace(/[^A-Za-z0-9._=-]+/g, '_')}` : lake.bucket);
}

/**
 * Mirror the lake into `dir`. Only files this mirror wrote (listed in its manifest) are ever
 * removed, when their object left the lake; any other file in the folder is left alone and
 * counted in `untracked`.
 */
export async function syncLakeToDir(
  store: ObjectStore,
  prefix: string | undefined,
  dir: string,
): Promise<{ files: number; downloaded: number; removed: number; untracked: number }> {
  const p = normalizePrefix(prefix);
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, MANIFEST);
  const manifest: Record<string, string> = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>)
    : {};
  const listed = (await store.list(p)).filter((o) => parseObjectKey(o.key) !== undefined);
  const wanted = new Map(listed.map((o) => [o.key.slice(p.length), o]));
  let downloaded = 0;
  for (const [rel, o] of wanted) {
    const version = o.etag ?? `size:${o.size}:${Date.now()}`;
    const file = join(dir, rel);
    if (manifest[rel] === version && existsSync(file)) continue;
    const bytes = await store.get(o.key);
    if (!bytes) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    manifest[rel] = version;
    downloaded++;
  }
  let removed = 0;
  for (const rel of Object.keys(manifest)) {
    if (wanted.has(rel)) continue;
    rmSync(join(dir, rel), { force: true });
    delete manifest[rel];
    removed++;
  }
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const untracked = listParquet(dir).filter((file) => !(relative(dir, file).split(sep).join('/') in manifest)).length;
  return { files: wanted.size, downloaded, removed, untracked };
}

function listParquet(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile() && d.name.endsWith('.parquet'))
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name));
}

const SQL_TYPE: Record<ColumnType, string> = {
  timestamp: 'TIMESTAMPTZ',
  string: 'VARCHAR',
  json: 'VARCHAR',
  double: 'DOUBLE',
  int: 'INTEGER',
  bool: 'BOOLEAN',
};

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The CREATE VIEW statements for a lake folder. */
export function lakeViewsSql(dir: string): string[] {
  const views = DATASETS.map((dataset) => {
    const view = dataset === 'realtime' ? 'realtime_objects' : dataset;
    const files = listParquet(join(dir, `dataset=${dataset}`));
    if (files.length > 0) {
      const glob = join(dir, `dataset=${dataset}`, '**', '*.parquet');
      return `CREATE OR REPLACE VIEW ${view} AS SELECT * FROM read_parquet(${quoteLiteral(glob)}, hive_partitioning = true, union_by_name = true${dataset === 'realtime' ? ', filename = true' : ''})`;
    }
    const cols = columnsOf(dataset).map((c) => `CAST(NULL AS ${SQL_TYPE[c.type]}) AS ${quoteIdent(c.name)}`);
    cols.push(`CAST(NULL AS VARCHAR) AS dataset`, `CAST(NULL AS DATE) AS "date"`, `CAST(NULL AS VARCHAR) AS origin`);
    if (dataset === 'realtime') cols.push(`CAST(NULL AS VARCHAR) AS filename`);
    return `CREATE OR REPLACE VIEW ${view} AS SELECT ${cols.join(', ')} WHERE false`;
  });
  // One row per meter + time + source; `date` leads the window so date filters still prune files.
  views.push(
    `CREATE OR REPLACE VIEW realtime AS SELECT * EXCLUDE (filename, lake_row_rank) FROM (SELECT *, row_number() OVER (PARTITION BY "date", meter, "time", source ORDER BY CASE WHEN regexp_matches(filename, '/day-s[0-9]{2}[.]parquet$') THEN 0 ELSE 1 END, filename) AS lake_row_rank FROM realtime_objects) WHERE lake_row_rank = 1`,
  );
  return views;
}

export interface QueryResult {
  readonly columns: string[];
  readonly rows: Record<string, unknown>[];
}

/** Run SQL (one or more statements; the last one's rows are returned) over a lake folder. */
export async function queryLakeDir(dir: string, sql: string): Promise<QueryResult> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  try {
    for (const view of lakeViewsSql(dir)) await conn.run(view);
    try {
      const reader = await conn.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
    } catch (error) {
      throw new EkmPipelineError(
        'QUERY',
        `${asError(error).message.split('\n')[0]} (views: ${DATASETS.join(', ')}; e.g. SELECT count(*) FROM realtime)`,
        { cause: error },
      );
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';

/**
 * Independent second readers for lake files: hyparquet (pure JS, a different code base from the
 * writer's Rust parquet crate) and DuckDB (C++). Tests check every written file with them.
 */
export async function readWithHyparquet(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as Record<string, unknown>[];
}

export function hyparquetSchema(bytes: Uint8Array) {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetMetadata(file);
}

/** Run SQL over Parquet bytes exposed as the view `t` (via a temp file). */
export async function duckdbOverBytes(files: readonly Uint8Array[], sql: string): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lake-duck-'));
  try {
    files.forEach((b, i) => {
      writeFileSync(join(dir, `f${i}.parquet`), b);
    });
    return await duckdbQuery(
      `CREATE VIEW t AS SELECT * FROM read_parquet('${join(dir, '*.parquet')}', union_by_name = true); ${sql}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run SQL statements in a fresh in-memory DuckDB; returns the rows of the last one as JS values. */
export async function duckdbQuery(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    const statements = sql
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    let rows: Record<string, unknown>[] = [];
    for (const s of statements) rows = (await conn.runAndReadAll(s)).getRowObjectsJS() as Record<string, unknown>[];
    return rows;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

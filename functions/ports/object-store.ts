/**
 * Where the lake's objects live: S3 in AWS, an S3-compatible server locally (both through
 * `adapters/s3-object-store.ts`), memory in unit tests. Keys are plain strings (`dataset=.../x.parquet`).
 */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Content version (S3 ETag) when the store knows it; caches compare it. */
  readonly etag?: string;
}

export interface ObjectStore {
  /** Write (or replace) one object. Resolves only once the store has it durably (S3 PUT semantics). */
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** The object's bytes, or undefined when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every object under a prefix (all pages), sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Delete objects; keys that do not exist are ignored. */
  delete(keys: readonly string[]): Promise<void>;
}

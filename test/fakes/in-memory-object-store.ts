import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '../../functions/ports/object-store';

/** An ObjectStore in memory, for use-case tests. */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  /** Per-key ETag as S3 reports it for a single-part PUT: the quoted MD5 of the body. */
  private readonly etags = new Map<string, string>();
  puts = 0;

  async put(key: string, body: Uint8Array): Promise<void> {
    this.puts++;
    this.objects.set(key, body.slice());
    this.etags.set(key, `"${createHash('md5').update(body).digest('hex')}"`);
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key)?.slice();
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, v]) => ({ key, size: v.length, etag: this.etags.get(key) ?? '""' }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      this.objects.delete(k);
      this.etags.delete(k);
    }
  }
}

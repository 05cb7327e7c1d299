import type { ObjectInfo, ObjectStore } from '../../functions/ports/object-store';

/** An ObjectStore in memory, for use-case tests. `failPutAfter` makes the n-th+1 put throw. */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  /** Per-key version, reported as the ETag (as S3 does). */
  private readonly versions = new Map<string, number>();
  puts = 0;

  async put(key: string, body: Uint8Array): Promise<void> {
    this.puts++;
    this.objects.set(key, body.slice());
    this.versions.set(key, this.puts);
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key)?.slice();
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, v]) => ({ key, size: v.length, etag: `"v${this.versions.get(key)}"` }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

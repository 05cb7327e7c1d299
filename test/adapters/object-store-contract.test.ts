import { createHash } from 'node:crypto';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import type { ObjectStore } from '../../functions/ports/object-store';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';

// One contract, two implementations (ports/object-store.ts): the fake used by fast tests must keep
// the same rules as the S3 store the product runs on (s3rver stands in for S3 here).
const BUCKETS = Array.from({ length: 8 }, (_, i) => `object-contract-${i + 1}`);
let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({ buckets: BUCKETS });
}, 60_000);
afterAll(async () => aws?.close());

let buckets = 0;
const implementations: [string, () => Promise<ObjectStore>][] = [
  ['in memory', async () => new InMemoryObjectStore()],
  [
    's3rver',
    async () => S3ObjectStore.fromConfig({ bucket: BUCKETS[buckets++ % BUCKETS.length]!, endpoint: aws.s3Endpoint }),
  ],
];

const bytes = (text: string) => new TextEncoder().encode(text);

describe.each(implementations)('object store contract: %s', (_name, make) => {
  let store: ObjectStore;
  beforeEach(async () => {
    store = await make();
    await store.delete((await store.list('')).map((o) => o.key));
  });

  it('returns what was put, byte for byte, and undefined for a missing key', async () => {
    const body = new Uint8Array([0, 1, 2, 255, 254, 10, 13, 0]);
    await store.put('dataset=readings/a.parquet', body);
    expect(await store.get('dataset=readings/a.parquet')).toEqual(body);
    expect(await store.get('dataset=readings/missing.parquet')).toBeUndefined();
    expect(await store.get('dataset=readings/a.parquet/')).toBeUndefined();
  });

  it('replaces an object on a second put and keeps an empty body', async () => {
    await store.put('k', bytes('first'));
    await store.put('k', bytes('second, longer'));
    await store.put('empty', new Uint8Array());
    expect(await store.get('k')).toEqual(bytes('second, longer'));
    expect(await store.get('empty')).toEqual(new Uint8Array());
    expect(await store.list('')).toEqual([
      expect.objectContaining({ key: 'empty', size: 0 }),
      expect.objectContaining({ key: 'k', size: 14 }),
    ]);
  });

  it('does not keep a reference to the caller buffer', async () => {
    const body = bytes('abc');
    await store.put('k', body);
    body[0] = 0x7a;
    const got = await store.get('k');
    expect(got).toEqual(bytes('abc'));
    got![1] = 0x7a;
    expect(await store.get('k')).toEqual(bytes('abc'));
  });

  it('lists every object under a prefix, sorted by key, with sizes', async () => {
    const keys = ['b/2', 'a/1', 'a/10', 'a/2', 'ab/1', 'a/sub/x', 'c'];
    for (const k of keys) await store.put(k, bytes(k.repeat(3)));
    expect(await store.list('a/')).toEqual(
      ['a/1', 'a/10', 'a/2', 'a/sub/x'].map((key) => ({ key, size: key.length * 3, etag: expect.any(String) })),
    );
    expect((await store.list('a')).map((o) => o.key)).toEqual(['a/1', 'a/10', 'a/2', 'a/sub/x', 'ab/1']);
    expect((await store.list('')).map((o) => o.key)).toEqual([...keys].sort());
    expect(await store.list('zzz/')).toEqual([]);
  });

  it('reports an S3 ETag: the quoted MD5 of the body, changing with the content', async () => {
    await store.put('a', bytes('one'));
    await store.put('b', bytes('one'));
    const before = await store.list('');
    await store.put('a', bytes('two'));
    const after = await store.list('');
    const md5 = (s: string) => `"${createHash('md5').update(s).digest('hex')}"`;
    expect(before.map((o) => o.etag)).toEqual([md5('one'), md5('one')]);
    expect(after.map((o) => o.etag)).toEqual([md5('two'), md5('one')]);
  });

  it('deletes the given keys and ignores keys that do not exist', async () => {
    await store.put('x/1', bytes('1'));
    await store.put('x/2', bytes('2'));
    await store.delete(['x/1', 'x/missing']);
    await store.delete([]);
    expect((await store.list('x/')).map((o) => o.key)).toEqual(['x/2']);
    expect(await store.get('x/1')).toBeUndefined();
  });

  it('stores a large body (8 MiB) intact', async () => {
    const body = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 12)) & 0xff;
    await store.put('big/blob.bin', body);
    const got = await store.get('big/blob.bin');
    expect(got?.length).toBe(body.length);
    expect(Buffer.from(got!).equals(Buffer.from(body))).toBe(true);
    expect(await store.list('big/')).toEqual([
      { key: 'big/blob.bin', size: body.length, etag: `"${createHash('md5').update(body).digest('hex')}"` },
    ]);
  }, 60_000);
});

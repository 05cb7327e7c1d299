import { keyAliasesToRun, keyEntry, pickKeyAlias } from '../../functions/config/key-alias';
import type { ProjectConfig } from '../../functions/config/project-config';

const config = (aliases: string[]) =>
  ({
    file: '/p/ekm-pipeline.yaml',
    keys: aliases.map((alias) => ({ alias, secret: { env: 'EKM_KEY' } })),
  }) as unknown as ProjectConfig;

describe('key alias picking', () => {
  it.each([
    [['a'], undefined, 'a'],
    [['a', 'b'], 'b', 'b'],
    [['a'], 'a', 'a'],
  ])('picks one alias of %p when asked for %p: %p', (aliases, asked, expected) => {
    expect(pickKeyAlias(config(aliases), asked)).toBe(expected);
  });

  it.each([
    [['a', 'b'], undefined, /has 2 keys; pick one with --key-alias \(a, b\)/],
    [[], undefined, /has 0 keys/],
    [['a', 'b'], 'c', /no key with alias "c" in \/p\/ekm-pipeline.yaml; known aliases: a, b/],
  ])('fails when the config has %p and %p is asked for', (aliases, asked, message) => {
    expect(() => pickKeyAlias(config(aliases), asked)).toThrow(message);
  });

  it.each([
    [['a', 'b'], undefined, ['a', 'b']],
    [['a', 'b'], 'b', ['b']],
  ])('runs over %p when asked for %p: %p', (aliases, asked, expected) => {
    expect(keyAliasesToRun(config(aliases), asked)).toEqual(expected);
  });

  it('fails when an alias to run over does not exist, naming the flag', () => {
    expect(() => keyAliasesToRun(config(['a']), 'z')).toThrow(
      expect.objectContaining({ field: '--key-alias', code: 'VALIDATION' }),
    );
  });

  it('gives the index of a key for file pointers', () => {
    expect(keyEntry(config(['a', 'b']), 'b').index).toBe(1);
  });
});

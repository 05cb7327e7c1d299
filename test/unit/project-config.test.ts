import { parseProjectConfig } from '../../functions/config/project-config';
import { redactSecrets } from '../../functions/core/errors';

describe('project config', () => {
  it('fills EKM default endpoints and keeps keys by alias', () => {
    // Act
    const cfg = parseProjectConfig({ version: 1, keys: [{ alias: 'demo', secret: { env: 'EKM_KEY' } }] }, 'cfg.yaml');
    // Assess
    expect(cfg.ekm.realtimeUrl).toBe('https://api.ekmpush.com');
    expect(cfg.keys[0]?.alias).toBe('demo');
  });

  it('fails when a property is unknown, naming the file and the path', () => {
    expect(() =>
      parseProjectConfig({ version: 1, keys: [{ alias: 'demo', secret: { env: 'K' }, colour: 1 }] }, 'cfg.yaml'),
    ).toThrow(/cfg\.yaml: invalid config:\n {2}\/keys\/0: unknown property "colour"/);
  });

  it('fails when a secret ref is not one of the three forms', () => {
    expect(() =>
      parseProjectConfig({ version: 1, keys: [{ alias: 'demo', secret: 'MTAxMDoyMDIw' }] }, 'c.json'),
    ).toThrow(/\/keys\/0\/secret: must be exactly one of/);
  });

  it('fails when two keys share an alias', () => {
    const key = { alias: 'a', secret: { env: 'K' } };
    expect(() => parseProjectConfig({ version: 1, keys: [key, key] }, 'c.json')).toThrow(/duplicate alias "a"/);
  });
});

describe('redactSecrets', () => {
  it('removes the secret and its URL-encoded form', () => {
    const out = redactSecrets('key=a%2Bb%2Fc and a+b/c', ['a+b/c']);
    expect(out).toBe('key=*** and ***');
  });
});

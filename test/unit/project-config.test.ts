import { loadEdgeIngestConfig } from '../../functions/config/edge-ingest-config';
import { projectConfigFromEnv } from '../../functions/config/env';
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

// The Lambdas' EKM_KEYS_JSON / EDGE_GATEWAYS_JSON write keys and gateways as the project file does.
describe('project config from the Lambda environment', () => {
  const lake = { LAKE_BUCKET: 'lake', STATE_TABLE: 'state' };

  it('reads keys and gateways in the project file shape', () => {
    // Act
    const cfg = projectConfigFromEnv({
      ...lake,
      EKM_KEYS_JSON: JSON.stringify([
        {
          alias: 'demo',
          secret: { secretsManager: 'ekm/demo/key' },
          token: { secretsManager: 'ekm/demo/token' },
          timezone: 'America/New_York',
        },
      ]),
      EDGE_GATEWAYS_JSON: JSON.stringify([
        { id: 'site-1', token: { secretsManager: 'ekm/edge/site-1' }, meters: ['000350000900'] },
      ]),
    });
    // Assess
    expect(cfg.keys[0]).toMatchObject({
      alias: 'demo',
      secret: { secretsManager: 'ekm/demo/key' },
      token: { secretsManager: 'ekm/demo/token' },
      timezone: 'America/New_York',
    });
    expect(cfg.edge?.gateways?.[0]).toMatchObject({ id: 'site-1', token: { secretsManager: 'ekm/edge/site-1' } });
  });

  it.each([
    [
      [{ alias: 'demo', secretId: 'ekm/demo/key' }],
      'EKM_KEYS_JSON: [0].secretId is the old spelling; write secret: { secretsManager: "..." }',
    ],
    [
      [{ alias: 'demo', secret: { secretsManager: 'k' }, tokenSecretId: 't' }],
      'EKM_KEYS_JSON: [0].tokenSecretId is the old spelling; write token: { secretsManager: "..." }',
    ],
    [
      [{ alias: 'demo', secret: { env: 'EKM_KEY' } }],
      /EKM_KEYS_JSON: \[0\]\.secret: must be exactly one of \{secretsManager: ARN\}/,
    ],
  ])('refuses EKM_KEYS_JSON %j, naming the entry and the fix', (keys, message) => {
    expect(() => projectConfigFromEnv({ ...lake, EKM_KEYS_JSON: JSON.stringify(keys) })).toThrow(message);
  });

  it('refuses an old-spelled EDGE_GATEWAYS_JSON entry, naming the fix', () => {
    expect(() =>
      loadEdgeIngestConfig({
        ...lake,
        EDGE_GATEWAYS_JSON: JSON.stringify([{ id: 'site-1', tokenSecretId: 'ekm/edge/site-1', meters: [] }]),
      }),
    ).toThrow('EDGE_GATEWAYS_JSON: [0].tokenSecretId is the old spelling; write token: { secretsManager: "..." }');
  });
});

describe('redactSecrets', () => {
  it('removes the secret and its URL-encoded form', () => {
    const out = redactSecrets('key=a%2Bb%2Fc and a+b/c', ['a+b/c']);
    expect(out).toBe('key=*** and ***');
  });
});

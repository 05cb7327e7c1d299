import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadEdgeConfig, parseEdgeConfig, resolveToken } from '../../src/config';

const base = {
  gateway: 'site-1',
  port: '/dev/ttyUSB0',
  meters: [{ address: '000300001463', family: 'v4' }, { address: '000000000026' }],
  spool: 'spool.db',
  uplink: { endpoint: 'http://127.0.0.1:8080/v1/edge/batches', token: { env: 'EKM_EDGE_TOKEN' } },
};

describe('edge.yaml', () => {
  it('fills defaults and resolves the spool next to the file', () => {
    const cfg = parseEdgeConfig(base, '/etc/ekm-edge/edge.yaml');
    expect(cfg).toMatchObject({
      spool: '/etc/ekm-edge/spool.db',
      schedule: { bEvery: 10, pauseMs: 0 },
      timing: { firstByteMs: 500, completeMs: 600, retries: 2 },
      uplink: { batchSize: 500, intervalMs: 10_000 },
    });
    // Family defaults from the address (v4/v5 numbers start at 300000000).
    expect(cfg.meters.map((m) => m.family)).toEqual(['v4', 'v3']);
  });

  it.each([
    ['a bad gateway id', { gateway: 'Site 1' }, '/gateway'],
    ['a 9-digit address', { meters: [{ address: '300001463' }] }, '/meters/0/address'],
    ['a number address', { meters: [{ address: 300001463 }] }, '/meters/0/address'],
    ['an unknown family', { meters: [{ address: '000300001463', family: 'v7' }] }, '/meters/0/family'],
    ['no meters', { meters: [] }, '/meters'],
    ['a token in the file', { uplink: { endpoint: 'http://x/y', token: 'secret-token-value' } }, '/uplink/token'],
    ['a non-http endpoint', { uplink: { endpoint: 'ftp://x', token: { env: 'T' } } }, '/uplink/endpoint'],
    [
      'a Secrets Manager token (the edge reads no AWS service)',
      { uplink: { endpoint: 'http://x/y', token: { secretsManager: 'ekm/edge/site-1' } } },
      '/uplink/token',
    ],
    [
      'two token kinds at once',
      { uplink: { endpoint: 'http://x/y', token: { env: 'T', value: 'v' } } },
      '/uplink/token',
    ],
    ['batchSize 5000', { uplink: { ...base.uplink, batchSize: 5000 } }, '/uplink/batchSize'],
    ['an unknown key', { colour: 'red' }, '/colour'],
  ])('fails on %s, naming the path', (_what, patch, path) => {
    expect(() => parseEdgeConfig({ ...base, ...patch }, 'edge.yaml')).toThrow(ConfigError);
    expect(() => parseEdgeConfig({ ...base, ...patch }, 'edge.yaml')).toThrow(`edge.yaml: ${path}`);
  });

  it('never puts a token written into the file into the error', () => {
    try {
      parseEdgeConfig({ ...base, uplink: { endpoint: 'http://x/y', token: 'secret-token-value' } }, 'edge.yaml');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-token-value');
    }
  });

  it('reads the token from the environment or a file, and names what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-cfg-'));
    const file = join(dir, 'edge.yaml');
    writeFileSync(join(dir, 'token'), 'tok-from-file\n');
    writeFileSync(
      file,
      'gateway: site-1\nport: /dev/null\nmeters: [{ address: "000300001463" }]\nspool: s.db\nuplink: { endpoint: "http://127.0.0.1/v1/edge/batches", token: { file: token } }\n',
    );
    expect(resolveToken(loadEdgeConfig(file), {})).toBe('tok-from-file');
    const envCfg = parseEdgeConfig(base, file);
    expect(resolveToken(envCfg, { EKM_EDGE_TOKEN: ' tok ' })).toBe('tok');
    expect(() => resolveToken(envCfg, {})).toThrow('EKM_EDGE_TOKEN is not set');
    // The project file's secret-reference shape: an inline { value } is read as written.
    const valueCfg = parseEdgeConfig({ ...base, uplink: { ...base.uplink, token: { value: 'tok-inline' } } }, file);
    expect(resolveToken(valueCfg, {})).toBe('tok-inline');
    expect(() => loadEdgeConfig(join(dir, 'missing.yaml'))).toThrow('cannot read the config');
  });
});

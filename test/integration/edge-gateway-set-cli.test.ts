import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStageConfig } from '../../lib/config/stage-config';

const ROOT = join(__dirname, '../..');
const SHARED = 'gw-token-shared-5f4e3d';
jest.setTimeout(60_000);

function serve(
  config: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/ekm-pipeline.cjs'), 'edge', 'serve', '--config', config, '--port', '0'],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 20_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

function configWith(gateways: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ekm-gw-')), 'ekm-pipeline.yaml');
  writeFileSync(
    file,
    `version: 1\nkeys:\n  - alias: demo\n    secret: { value: not-a-key }\nlake: { bucket: lake }\nstate: { table: state }\nedge:\n  gateways:\n${gateways}`,
  );
  return file;
}

describe('ekm-pipeline edge serve refuses an unsafe gateway set (real process)', () => {
  it.each([
    [
      'two gateways with one id',
      `    - { id: site-1, token: { env: TOK_A }, meters: ["000350000900"] }\n    - { id: site-1, token: { env: TOK_B }, meters: ["000350000901"] }\n`,
      /\/edge\/gateways\/1\/id: duplicate gateway id "site-1" \(also \/edge\/gateways\/0\/id\)/,
    ],
    [
      'one token reference on two gateways',
      `    - { id: site-1, token: { env: TOK_A }, meters: ["000350000900"] }\n    - { id: site-2, token: { env: TOK_A }, meters: ["000350000901"] }\n`,
      /\/edge\/gateways\/1\/token: gateway "site-2" uses the same token as gateway "site-1" .*\{env: TOK_A\}.*own token/,
    ],
    [
      'one inline token on two gateways',
      `    - { id: site-1, token: { value: ${SHARED} }, meters: ["000350000900"] }\n    - { id: site-2, token: { value: ${SHARED} }, meters: ["000350000901"] }\n`,
      /\/edge\/gateways\/1\/token: .*an inline \{value: …\} \(not shown\)/,
    ],
    [
      'two references that resolve to one token',
      `    - { id: site-1, token: { env: TOK_A }, meters: ["000350000900"] }\n    - { id: site-2, token: { env: TOK_B }, meters: ["000350000901"] }\n`,
      /\/edge\/gateways\/1\/token: gateway "site-2"'s token resolves to the same value as gateway "site-1"'s/,
    ],
    [
      'one meter on two gateways',
      `    - { id: site-1, token: { env: TOK_A }, meters: ["000350000900"] }\n    - { id: site-2, token: { env: TOK_C }, meters: ["000350000901", "000350000900"] }\n`,
      /\/edge\/gateways\/1\/meters\/1: meter "000350000900" is also on gateway "site-1" \(\/edge\/gateways\/0\/meters\/0\).*remove it from one/,
    ],
  ])('fails when the config has %s, naming file, path and fix', async (_what, gateways, message) => {
    // Prepare
    const config = configWith(gateways);
    // Act
    const r = await serve(config, { TOK_A: SHARED, TOK_B: SHARED, TOK_C: 'gw-token-other-777' });
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(config);
    expect(r.stderr).toMatch(message);
    expect(r.stderr + r.stdout).not.toContain(SHARED);
  });
});

describe('stage config edgeGateways (CDK synth)', () => {
  it.each([
    [
      [
        { id: 'site-1', token: { secretsManager: 't1' }, meters: [] },
        { id: 'site-1', token: { secretsManager: 't2' }, meters: [] },
      ],
      /edgeGateways\[1\]\.id: duplicate gateway id "site-1"/,
    ],
    [
      [
        { id: 'site-1', token: { secretsManager: 't1' }, meters: [] },
        { id: 'site-2', token: { secretsManager: 't1' }, meters: [] },
      ],
      /edgeGateways\[1\]\.token: gateway "site-2" uses the same token/,
    ],
    [
      [
        { id: 'site-1', token: { secretsManager: 't1' }, meters: ['000350000900'] },
        { id: 'site-2', token: { secretsManager: 't2' }, meters: ['000350000900'] },
      ],
      /edgeGateways\[1\]\.meters\[0\]: meter "000350000900" is also on gateway "site-1"/,
    ],
  ])('fails at synth on an unsafe gateway set (%#)', (edgeGateways, message) => {
    expect(() =>
      parseStageConfig({ stageName: 'dev', keys: [{ alias: 'a', secret: { secretsManager: 's' } }], edgeGateways }),
    ).toThrow(message);
  });
});

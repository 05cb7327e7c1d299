import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEdgeConfig } from '../../src/config';

const BIN = join(__dirname, '../../bin/ekm-edge.cjs');
const TOKEN = 'edgeTok_5e4d3c2b1aXY';

function edgeYaml(tokenLine: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ekm-edge-syntax-')), 'edge.yaml');
  writeFileSync(
    file,
    `gateway: site-1\nport: /dev/null\nmeters: [{ address: "000300001463" }]\nspool: s.db\nuplink:\n  endpoint: http://127.0.0.1:9/v1/edge/batches\n${tokenLine}\n`,
  );
  return file;
}

describe('edge.yaml with a YAML syntax error', () => {
  it('fails naming the file, line and column, never the token pasted into it (ekm-edge status)', () => {
    // Prepare: the token pasted inline with a stray ": ".
    const file = edgeYaml(`  token: { value: ${TOKEN}: x }`);
    // Act
    const r = spawnSync(process.execPath, [BIN, 'status', '--config', file], { encoding: 'utf8' });
    // Assess
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/line 7, column 19: /);
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
  });

  it.each([
    ['an alias-looking token', `  token: *${TOKEN}`],
    ['an unclosed quote', `  token: "${TOKEN}\n  batchSize: [`],
    ['a bad escape', `  token: "\\q${TOKEN}"`],
  ])('fails on %s without quoting it', (_what, line) => {
    expect(() => loadEdgeConfig(edgeYaml(line))).toThrow(/not valid YAML: line \d+, column \d+: /);
    try {
      loadEdgeConfig(edgeYaml(line));
    } catch (error) {
      expect((error as Error).message).not.toContain(TOKEN);
    }
  });
});

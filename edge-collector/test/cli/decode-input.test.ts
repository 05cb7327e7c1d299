import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '../../bin/ekm-edge.cjs');

describe('ekm-edge decode --hex', () => {
  it.each([
    ['zz', /--hex: "z" at position 1 is not a hex digit/],
    ['02g1', /--hex: "g" at position 3 is not a hex digit/],
    ['abc', /--hex: not an even number of hex digits \(3 digits\)/],
  ])('fails on %j with what is wrong with it', (hex, message) => {
    const r = spawnSync(process.execPath, [BIN, 'decode', '--hex', hex], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/not an even number/.test(String(message)) ? /not a hex digit/ : /even number/);
  });
});

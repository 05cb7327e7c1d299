import {
  checkSecretRef,
  describeSecretRef,
  familyOfAddress,
  familyOfProtocol,
  isMeterId,
  isMeterProtocol,
  padMeterId,
  toApiSerial,
} from '@ekm-pipeline/shared';

describe('@ekm-pipeline/shared', () => {
  it.each([
    ['350000900', '000350000900'],
    [350000900, '000350000900'],
    [' 26 ', '000000000026'],
    ['000300001463', '000300001463'],
    ['', undefined],
    ['1234567890123', undefined],
    ['12a', undefined],
  ] as const)('pads the meter address %j to %j', (input, expected) => {
    expect(padMeterId(input)).toBe(expected);
  });

  it('tells 12-digit meter ids and API serials apart', () => {
    expect(isMeterId('000350000900')).toBe(true);
    expect(isMeterId('350000900')).toBe(false);
    expect(toApiSerial('000350000900')).toBe('350000900');
    expect(toApiSerial('000000000000')).toBe('0');
  });

  it.each([
    ['000300001463', 'v4'],
    ['000300000000', 'v4'],
    ['000299999999', 'v3'],
    ['000000000026', 'v3'],
  ] as const)('implies family %s → %s from the address', (address, family) => {
    expect(familyOfAddress(address)).toBe(family);
  });

  it('reads v5 meters as v4 on the wire', () => {
    expect(['v3', 'v4', 'v5'].map((p) => (isMeterProtocol(p) ? familyOfProtocol(p) : p))).toEqual(['v3', 'v4', 'v4']);
    expect(isMeterProtocol('v6')).toBe(false);
  });

  it.each([
    [{ env: 'EKM_KEY' }, { ref: { env: 'EKM_KEY' } }],
    [{ value: 'k' }, { ref: { value: 'k' } }],
    [{ secretsManager: 'arn:aws:secretsmanager:x' }, { ref: { secretsManager: 'arn:aws:secretsmanager:x' } }],
  ])('accepts the secret reference %j', (raw, expected) => {
    expect(checkSecretRef(raw)).toEqual(expected);
  });

  it.each([
    ['a bare string', 'the-secret'],
    ['two kinds', { env: 'A', value: 'b' }],
    ['a lower-case variable', { env: 'ekm_key' }],
    ['an empty value', { value: ' ' }],
    ['no keys', {}],
  ])('refuses %s without quoting it', (_what, raw) => {
    const out = checkSecretRef(raw);
    expect(out).toHaveProperty('problem');
    expect(JSON.stringify(out)).not.toContain('the-secret');
  });

  it('refuses a kind the reader cannot resolve', () => {
    expect(checkSecretRef({ secretsManager: 'x' }, ['env', 'value'])).toEqual({
      problem: expect.stringContaining('must be exactly one of {env: NAME}, {value: "..."} (got keys: secretsManager)'),
    });
  });

  it('describes a reference without its value', () => {
    expect(describeSecretRef({ env: 'T' })).toBe('{env: T}');
    expect(describeSecretRef({ value: 's3cr3t' })).not.toContain('s3cr3t');
  });
});

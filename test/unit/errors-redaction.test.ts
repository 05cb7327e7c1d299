import {
  bestEffortFailure,
  EkmPipelineError,
  envField,
  fileField,
  flagField,
  logBestEffortFailure,
  redactError,
  ValidationError,
} from '../../functions/core/errors';

const SECRET = 'sEcReT-kEy-123';

describe('redactError', () => {
  it.each([
    ['an Error', new Error(`bad key ${SECRET}`), 'Error'],
    ['an EkmPipelineError', new EkmPipelineError('EKM_HTTP', `GET ?key=${SECRET} failed`), 'EkmPipelineError'],
    ['a ValidationError', new ValidationError('--key', `${SECRET} is not a key`), 'ValidationError'],
  ])('redacts the message of %s and never mutates it', (_what, original, name) => {
    // Prepare
    const before = original.message;
    // Act
    const copy = redactError(original, [SECRET]);
    // Assess
    expect(copy).not.toBe(original);
    expect(original.message).toBe(before);
    expect(copy.message).not.toContain(SECRET);
    expect(copy.message).toContain('***');
    expect(copy.stack ?? '').not.toContain(SECRET);
    expect(copy.name).toBe(name);
    expect(Object.getPrototypeOf(copy)).toBe(Object.getPrototypeOf(original));
  });

  it('keeps the code, the field and the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const original = new ValidationError('--key', `${SECRET} rejected`, { cause });
    const copy = redactError(original, [SECRET]) as ValidationError;
    expect(copy).toBeInstanceOf(ValidationError);
    expect(copy.code).toBe('VALIDATION');
    expect(copy.field).toBe('--key');
    expect(copy.cause).toBe(cause);
  });

  it('turns a thrown non-Error into an Error', () => {
    expect(redactError(`text ${SECRET}`, [SECRET]).message).toBe('text ***');
  });
});

describe('logBestEffortFailure', () => {
  it('logs what failed, the error name, code and redacted message on one line (never the error object)', () => {
    // Prepare
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      // Act
      logBestEffortFailure('release lease ingest-realtime#demo', new EkmPipelineError('LEASE_LOST', `lost ${SECRET}`), [
        SECRET,
      ]);
      // Assess
      expect(warn).toHaveBeenCalledTimes(1);
      const line = String(warn.mock.calls[0]?.[0]);
      expect(line).not.toContain(SECRET);
      expect(JSON.parse(line)).toEqual({
        level: 'warn',
        message: 'best-effort step failed',
        what: 'release lease ingest-realtime#demo',
        error: { name: 'EkmPipelineError', code: 'LEASE_LOST', message: 'lost ***' },
      });
    } finally {
      warn.mockRestore();
    }
  });

  it('describes a non-Error failure too', () => {
    expect(bestEffortFailure('x', 'boom').error).toEqual({ name: 'Error', message: 'boom' });
  });
});

describe('ValidationError.field forms', () => {
  it.each([
    [fileField('ekm-pipeline.yaml', ['keys', 0, 'secret']), 'ekm-pipeline.yaml: /keys/0/secret'],
    [fileField('billing.yaml'), 'billing.yaml: /'],
    [fileField('t.yaml', ['a/b', 'c~d']), 't.yaml: /a~1b/c~0d'],
    [flagField('key-alias'), '--key-alias'],
    [flagField('--key-alias'), '--key-alias'],
    [envField('EKM_KEYS_JSON'), 'EKM_KEYS_JSON'],
    [envField('EKM_KEYS_JSON', [0, 'alias']), 'EKM_KEYS_JSON: /0/alias'],
  ])('builds %p', (field, expected) => {
    expect(field).toBe(expected);
    expect(new ValidationError(field, 'is wrong').message).toBe(`${expected}: is wrong`);
  });
});

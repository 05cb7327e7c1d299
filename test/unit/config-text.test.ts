import { ConfigTextSyntaxError, parseConfigText } from '@ekm-pipeline/shared/config-text';
import { projectConfigFromEnv } from '../../functions/config/env';

const KEY = 'S3cr3tEkmKeyQWERTY';
const TOKEN = 'Bearer-tok_9f8e7d6c5b4a';

describe('parseConfigText', () => {
  it.each([
    ['a nested mapping in a flow map', `keys:\n  - alias: a\n    secret: { value: ${KEY}: x }\n`, 3, 22],
    ['an alias-looking secret', `keys:\n  - alias: a\n    secret: { value: *${KEY} }\n`, 3, 22],
    ['a bad escape in a quoted secret', `keys:\n  - alias: a\n    secret: { value: "\\q${KEY}" }\n`, 3, 23],
    ['a reserved first character', `keys:\n  - token: { value: @${TOKEN} }\n`, 2, 21],
    ['an unclosed quote', `keys:\n  - token: { value: "${TOKEN} }\n  - alias: b\n`, 4, 1],
    ['broken JSON', `{"keys": [{"alias": "a", "secret": {"value": ${KEY}}]}`, 1, 65],
    ['a duplicate key', `token: { value: ${TOKEN} }\ntoken: { value: ${KEY} }\n`, 2, 1],
    ['a tab indent', `keys:\n\t- secret: { value: ${KEY} }\n`, 2, 1],
  ])('fails when given %s with the position and never the text', (_what, text, line, column) => {
    // Act
    let error: unknown;
    try {
      parseConfigText(text);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigTextSyntaxError);
    const message = (error as Error).message;
    expect(message).toMatch(/^line \d+, column \d+: /);
    const first = (error as ConfigTextSyntaxError).problems[0];
    expect(first).toMatchObject({ line, column });
    expect(message).toContain(`line ${line}, column ${column}: `);
    for (const secret of [KEY, TOKEN, KEY.slice(0, 8), TOKEN.slice(0, 8)]) {
      expect(message).not.toContain(secret);
      expect(JSON.stringify((error as ConfigTextSyntaxError).problems)).not.toContain(secret);
    }
    expect((error as Error).cause).toBeUndefined();
  });

  it('parses YAML and JSON alike', () => {
    expect(parseConfigText('a: [1, 2]\n')).toEqual({ a: [1, 2] });
    expect(parseConfigText('{"a": [1, 2]}')).toEqual({ a: [1, 2] });
    expect(parseConfigText('{"a": [1, 2], # comment\n}')).toEqual({ a: [1, 2] });
  });
});

describe('JSON in environment variables', () => {
  it('fails on bad EKM_KEYS_JSON with the position, never the text', () => {
    // Prepare: a token pasted where a secret id belongs, with a missing quote.
    const env = {
      EKM_KEYS_JSON: `[{"alias": "demo", "secret": {"secretsManager": ${TOKEN}}}]`,
      LAKE_BUCKET: 'lake',
      STATE_TABLE: 'state',
    };
    // Act
    let message = '';
    try {
      projectConfigFromEnv(env);
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    expect(message).toMatch(/^EKM_KEYS_JSON: is not valid JSON/);
    expect(message).not.toContain(TOKEN.slice(0, 8));
  });
});

import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../functions/config/env-names';
import { parseIngestUnit } from '../../functions/core/ekm/ingest-units';
import type * as EnqueueHandler from '../../functions/handlers/enqueue-realtime-ingest';

/**
 * The realtime schedule's enqueue Lambda, wired only from its environment (as the CDK stack sets
 * it), against a mocked SQS: one message per key alias, aliases only.
 */
const sqs = mockClient(SQSClient);
const saved = { ...process.env };
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest-realtime';

beforeAll(() => {
  Object.assign(process.env, {
    [ENV.EKM_KEYS_JSON]: JSON.stringify([
      { alias: 'site-b', secret: { secretsManager: 'ekm/site-b' } },
      { alias: 'site-a', secret: { secretsManager: 'ekm/site-a' } },
    ]),
    [ENV.INGEST_QUEUE_URL]: QUEUE_URL,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(() => {
  process.env = saved;
  sqs.restore();
});

describe('enqueue-realtime-ingest Lambda', () => {
  it('puts one message per configured key alias on the queue, holding the alias only', async () => {
    // Prepare: the module reads its config at the first invocation (cold start), after the env is set
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const { handler } = require('../../functions/handlers/enqueue-realtime-ingest') as typeof EnqueueHandler;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    // Act
    const result = await handler();
    // Assess
    expect(result).toEqual({ job: 'enqueue-realtime', units: 2, aliases: ['site-a', 'site-b'] });
    const input = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input;
    expect(input.QueueUrl).toBe(QUEUE_URL);
    expect(input.Entries?.map((e) => parseIngestUnit(e.MessageBody ?? ''))).toEqual([
      { keyAlias: 'site-a' },
      { keyAlias: 'site-b' },
    ]);
    expect(input.Entries?.map((e) => e.MessageBody).join()).not.toContain('ekm/');
    expect(log.mock.calls.map((c) => String(c[0]))).toEqual(['{"job":"enqueue-realtime","units":2}']);
    log.mockRestore();
  });
});

import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { batchBodies, SqsMessageQueue } from '../../functions/adapters/sqs-message-queue';

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest';
const bodies = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ keyAlias: `site-${i}` }));
const sleeps: number[] = [];
const queue = (retries = 3) =>
  new SqsMessageQueue(new SQSClient({}), URL, {
    retries,
    backoffMs: 10,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
beforeEach(() => {
  sleeps.length = 0;
});

describe('SqsMessageQueue', () => {
  it('sends 25 bodies in 3 batches of at most 10, each entry once', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    // Act
    await queue().send(bodies(25));
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 5]);
    expect(calls.every((c) => c.QueueUrl === URL)).toBe(true);
    expect(calls.flatMap((c) => c.Entries?.map((e) => e.MessageBody))).toEqual(bodies(25));
  });

  it('sends again only the entries SQS reports failed, with backoff', async () => {
    // Prepare: the first call refuses entry 1 (throttled), the retry accepts it
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'ThrottlingException', SenderFault: false }] })
      .resolves({ Failed: [] });
    // Act
    await queue().send(bodies(3));
    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.Entries).toEqual([{ Id: '1', MessageBody: bodies(3)[1] }]);
    expect(sleeps).toEqual([10]);
  });

  it('fails naming how many bodies were not accepted, never the bodies, after its retries', async () => {
    // Prepare: entry 0 is refused every time
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    // Act
    const error = await queue(2)
      .send(bodies(2))
      .then(() => new Error('expected a failure'))
      .catch((e: unknown) => e as Error & { code?: string });
    // Assess
    expect(error).toMatchObject({ code: 'QUEUE_SEND' });
    expect(error.message).toContain('did not accept 1 of 2 messages (retried up to 2 times) (InternalError)');
    expect(error.message).not.toContain('site-0');
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    expect(sleeps).toEqual([10, 20]);
  });

  it('does not retry entries SQS refuses as the sender’s fault', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] });
    await expect(queue().send(bodies(1))).rejects.toThrow('did not accept 1 of 1');
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('keeps each batch under 256 KiB of bodies and refuses a body over the limit', () => {
    const big = 'x'.repeat(100 * 1024);
    expect(batchBodies([big, big, big, 'a']).map((g) => g.length)).toEqual([2, 2]);
    expect(() => batchBodies(['x'.repeat(256 * 1024 + 1)])).toThrow('over the SQS limit');
  });
});

import { makeEnqueueIngestUnits } from '../../functions/composition/ingest-queue';
import {
  encodeIngestUnit,
  type IngestUnit,
  parseIngestUnit,
  planIngestUnits,
} from '../../functions/core/ekm/ingest-units';
import { makeIngestRealtimeWorkerHandler } from '../../functions/handlers/ingest-realtime-worker';
import { InMemoryQueue } from '../fakes/in-memory-queue';

/*
 * Fan-out of realtime ingest: the schedule enqueues one message per key alias, the worker Lambda
 * ingests each message on its own. The queue is an in-memory SQS stand-in with a redrive policy
 * (test/fakes/in-memory-queue.ts); no SQS-compatible server is used.
 */
describe('ingest-realtime worker (one message per EKM key)', () => {
  it('retries a failing key, then dead-letters it; the other keys are ingested once each', async () => {
    // Prepare: three keys; "broken" fails every time (an account whose API refuses the key).
    const queue = new InMemoryQueue({ maxReceiveCount: 3, batchSize: 10 });
    await makeEnqueueIngestUnits({ queue })(['site-b', 'broken', 'site-a']);
    const runs: string[] = [];
    const handler = makeIngestRealtimeWorkerHandler(async () => ({
      ingest: async (unit: IngestUnit) => {
        runs.push(unit.keyAlias);
        if (unit.keyAlias === 'broken') throw new Error('EKM answered 403 for key alias broken');
        return { alias: unit.keyAlias, reads: 5 };
      },
    }));
    // Act
    const deliveries = await queue.drain((Records) => handler({ Records }));
    // Assess
    expect(runs.filter((a) => a === 'site-a')).toHaveLength(1);
    expect(runs.filter((a) => a === 'site-b')).toHaveLength(1);
    expect(runs.filter((a) => a === 'broken')).toHaveLength(3);
    expect(deliveries).toBe(3);
    expect(queue.deadLetters.map((m) => [parseIngestUnit(m.body).keyAlias, m.receives])).toEqual([['broken', 3]]);
    expect(queue.depth).toBe(0);
  });

  it('a malformed message fails only itself', async () => {
    // Prepare
    const queue = new InMemoryQueue({ maxReceiveCount: 1 });
    await queue.send(['not json', encodeIngestUnit({ keyAlias: 'site-a' })]);
    const runs: string[] = [];
    const handler = makeIngestRealtimeWorkerHandler(async () => ({
      ingest: async (unit: IngestUnit) => runs.push(unit.keyAlias),
    }));
    // Act
    await queue.drain((Records) => handler({ Records }));
    // Assess
    expect(runs).toEqual(['site-a']);
    expect(queue.deadLetters.map((m) => m.body)).toEqual(['not json']);
  });

  it('a slow key does not hold back the others of its delivery (bounded concurrency)', async () => {
    // Prepare
    const order: string[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = makeIngestRealtimeWorkerHandler(async () => ({
      ingest: async (unit: IngestUnit) => {
        if (unit.keyAlias === 'slow') await slow;
        order.push(unit.keyAlias);
        if (unit.keyAlias === 'fast') release();
      },
    }));
    // Act
    const response = await handler({
      Records: [
        { messageId: '1', body: encodeIngestUnit({ keyAlias: 'slow' }) },
        { messageId: '2', body: encodeIngestUnit({ keyAlias: 'fast' }) },
      ],
    });
    // Assess
    expect(order).toEqual(['fast', 'slow']);
    expect(response).toEqual({ batchItemFailures: [] });
  });
});

describe('ingest units', () => {
  it.each([
    { body: '{"keyAlias":"demo"}', want: { keyAlias: 'demo' } },
    { body: '{"keyAlias":"Demo"}', error: 'expected an alias' },
    { body: '{}', error: 'got undefined' },
    { body: 'null', error: 'got undefined' },
    { body: '{', error: 'expected JSON' },
  ])('parses $body', ({ body, want, error }) => {
    if (error) expect(() => parseIngestUnit(body)).toThrow(error);
    else expect(parseIngestUnit(body)).toEqual(want);
  });

  it('plans one unit per alias, sorted, without repeats; fails when an alias is not safe', () => {
    expect(planIngestUnits(['b', 'a', 'b'])).toEqual([{ keyAlias: 'a' }, { keyAlias: 'b' }]);
    expect(() => planIngestUnits(['a b'])).toThrow('not a valid alias');
  });
});

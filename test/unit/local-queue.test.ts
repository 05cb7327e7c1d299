import { LocalQueue } from '../../local/aws/local-queue';

/** The local stack's ingest queue keeps the SQS semantics the fan-out relies on. */
describe('LocalQueue', () => {
  it('hides a received message for the visibility timeout and counts its receives', async () => {
    // Prepare
    let now = 1_000;
    const queue = new LocalQueue({ visibilityTimeoutMs: 100, maxReceiveCount: 2, now: () => now });
    await queue.send(['a']);
    // Act + Assess
    const [first] = queue.receive();
    expect(first).toMatchObject({ body: 'a', attributes: { ApproximateReceiveCount: '1' } });
    queue.settle([first!], { batchItemFailures: [{ itemIdentifier: first!.messageId }] });
    expect(queue.receive()).toEqual([]);
    now += 100;
    expect(queue.receive()[0]).toMatchObject({
      messageId: first!.messageId,
      attributes: { ApproximateReceiveCount: '2' },
    });
  });

  it('deletes the messages a batch did not report failed; dead-letters one after maxReceiveCount receives', async () => {
    // Prepare
    let now = 0;
    const queue = new LocalQueue({ visibilityTimeoutMs: 10, maxReceiveCount: 3, now: () => now });
    await queue.send(['ok', 'bad']);
    const seen: string[] = [];
    // Act: deliver until nothing is left, failing "bad" every time
    for (let i = 0; i < 10 && queue.depth > 0; i++, now += 10) {
      const batch = queue.receive();
      seen.push(...batch.map((r) => r.body));
      queue.settle(batch, {
        batchItemFailures: batch.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
      });
    }
    // Assess
    expect(seen).toEqual(['ok', 'bad', 'bad', 'bad']);
    expect(queue.deadLetters.map((m) => [m.body, m.receiveCount])).toEqual([['bad', 3]]);
    expect(queue.stats).toMatchObject({ sent: 2, received: 4, deleted: 1, deadLettered: 1 });
  });

  it('a worker that throws fails its whole batch; the poller delivers again after the timeout', async () => {
    // Prepare
    const queue = new LocalQueue({ visibilityTimeoutMs: 30, maxReceiveCount: 5, pollIntervalMs: 5 });
    await queue.send(['x', 'y']);
    let calls = 0;
    const errors: unknown[] = [];
    const poller = queue.startPoller(
      async () => {
        calls++;
        if (calls === 1) throw new Error('crashed');
        return { batchItemFailures: [] };
      },
      (e) => errors.push(e),
    );
    // Act
    await poller.drained(2_000);
    await poller.stop();
    // Assess
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect(queue.stats).toMatchObject({ received: 4, deleted: 2, deadLettered: 0, workerErrors: 1 });
  });
});

import type { MessageQueue } from '../../functions/ports/message-queue';
import type { BatchResponse, QueueRecord } from '../../functions/use-cases/fan-out-ingest';

/**
 * An SQS-like queue in memory with a redrive policy: a message a consumer reports as failed (partial
 * batch response) is delivered again, and after `maxReceiveCount` receives it moves to `deadLetters`
 * (as SQS moves it to the dead-letter queue). Deliveries are batches of at most `batchSize`.
 */
export class InMemoryQueue implements MessageQueue {
  private readonly visible: { id: string; body: string; receives: number }[] = [];
  readonly deadLetters: { id: string; body: string; receives: number }[] = [];
  private next = 0;

  constructor(private readonly opts: { readonly maxReceiveCount: number; readonly batchSize?: number }) {}

  async send(bodies: readonly string[]): Promise<void> {
    for (const body of bodies) this.visible.push({ id: `m-${++this.next}`, body, receives: 0 });
  }

  get depth(): number {
    return this.visible.length;
  }

  /** Deliver batches to `consume` until the queue is empty; returns the number of deliveries. */
  async drain(consume: (records: QueueRecord[]) => Promise<BatchResponse>): Promise<number> {
    let deliveries = 0;
    while (this.visible.length > 0) {
      const batch = this.visible.splice(0, this.opts.batchSize ?? 10);
      for (const m of batch) m.receives++;
      deliveries++;
      const response = await consume(batch.map((m) => ({ messageId: m.id, body: m.body })));
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of batch) {
        if (!failed.has(m.id)) continue;
        if (m.receives >= this.opts.maxReceiveCount) this.deadLetters.push(m);
        else this.visible.push(m);
      }
    }
    return deliveries;
  }
}

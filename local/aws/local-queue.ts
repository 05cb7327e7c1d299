import { randomUUID } from 'node:crypto';
import type { MessageQueue } from '../../functions/ports/message-queue';
import type { BatchResponse, QueueRecord } from '../../functions/use-cases/fan-out-ingest';

/**
 * The ingest queue of the local stack (`npm start -- --serve`, integration tests): an in-process
 * queue with the SQS semantics the fan-out relies on, and a poller that calls the worker the way
 * Lambda's SQS event source does.
 *
 * - A received message is invisible for `visibilityTimeoutMs`; its receive count goes up by one.
 * - The worker answers a partial batch response: the messages it lists stay in the queue and become
 *   visible again when their visibility timeout ends; the others are deleted. A worker that throws
 *   leaves every message of its batch in the queue.
 * - A message already received `maxReceiveCount` times moves to the dead-letter list when it would
 *   be received once more (SQS's redrive policy), so it is delivered exactly `maxReceiveCount` times.
 *
 * In-process rather than an SQS-compatible server: sqslite (the npm SQS stand-in) answers only the
 * Query protocol and refuses the JSON protocol the current @aws-sdk/client-sqs speaks (HTTP 415), so
 * the SDK cannot talk to it; the SQS adapter itself is covered by its unit test.
 */
export interface LocalQueueOptions {
  /** How long a received message stays invisible (SQS VisibilityTimeout). */
  readonly visibilityTimeoutMs: number;
  /** Receives before a message is dead-lettered (the redrive policy's maxReceiveCount). */
  readonly maxReceiveCount: number;
  /** Messages per worker call (the event source's BatchSize). @default 10 */
  readonly batchSize?: number;
  /** Worker calls at once (the event source's MaximumConcurrency). @default 2 */
  readonly maxConcurrency?: number;
  /** Pause between polls of an empty queue. @default 50 */
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
}

/** A message as a worker receives it (an SQS record's fields the fan-out reads). */
export interface LocalQueueRecord extends QueueRecord {
  readonly attributes: { readonly ApproximateReceiveCount: string; readonly SentTimestamp: string };
}

export interface LocalMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAtMs: number;
  receiveCount: number;
  visibleAtMs: number;
  inFlight: boolean;
}

export interface LocalQueueStats {
  readonly sent: number;
  readonly received: number;
  readonly deleted: number;
  readonly deadLettered: number;
  readonly workerCalls: number;
  readonly workerErrors: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LocalQueue implements MessageQueue {
  private readonly messages = new Map<string, LocalMessage>();
  private readonly dead: LocalMessage[] = [];
  private readonly now: () => number;
  private counts = { sent: 0, received: 0, deleted: 0, deadLettered: 0, workerCalls: 0, workerErrors: 0 };

  constructor(readonly options: LocalQueueOptions) {
    if (!(options.maxReceiveCount >= 1)) throw new RangeError('maxReceiveCount must be at least 1');
    this.now = options.now ?? Date.now;
  }

  async send(bodies: readonly string[]): Promise<void> {
    const at = this.now();
    for (const body of bodies) {
      const messageId = randomUUID();
      this.messages.set(messageId, {
        messageId,
        body,
        sentAtMs: at,
        receiveCount: 0,
        visibleAtMs: at,
        inFlight: false,
      });
      this.counts.sent++;
    }
  }

  /**
   * Up to `max` visible messages, each made invisible for the visibility timeout; a message already
   * received `maxReceiveCount` times is moved to the dead-letter list instead.
   */
  receive(max = this.options.batchSize ?? 10): LocalQueueRecord[] {
    const at = this.now();
    const out: LocalQueueRecord[] = [];
    for (const m of this.messages.values()) {
      if (out.length >= max) break;
      if (m.inFlight || m.visibleAtMs > at) continue;
      if (m.receiveCount >= this.options.maxReceiveCount) {
        this.messages.delete(m.messageId);
        this.dead.push(m);
        this.counts.deadLettered++;
        continue;
      }
      m.receiveCount++;
      m.inFlight = true;
      m.visibleAtMs = at + this.options.visibilityTimeoutMs;
      this.counts.received++;
      out.push({
        messageId: m.messageId,
        body: m.body,
        attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAtMs) },
      });
    }
    return out;
  }

  /** Settle a delivered batch as Lambda's event source does with the worker's answer. */
  settle(records: readonly QueueRecord[], response: BatchResponse | 'threw'): void {
    const failed =
      response === 'threw'
        ? new Set(records.map((r) => r.messageId))
        : new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const r of records) {
      const m = this.messages.get(r.messageId);
      if (!m) continue;
      m.inFlight = false;
      if (failed.has(r.messageId)) continue; // visible again when its visibility timeout ends
      this.messages.delete(r.messageId);
      this.counts.deleted++;
    }
  }

  /** Messages not yet deleted nor dead-lettered (visible, in flight or waiting out their timeout). */
  get depth(): number {
    return this.messages.size;
  }

  /** Messages a receive would return now, or that a worker holds. */
  get active(): number {
    const at = this.now();
    let n = 0;
    for (const m of this.messages.values()) if (m.inFlight || m.visibleAtMs <= at) n++;
    return n;
  }

  /** Messages moved after `maxReceiveCount` receives, oldest first (the dead-letter queue). */
  get deadLetters(): readonly Readonly<LocalMessage>[] {
    return this.dead;
  }

  get stats(): LocalQueueStats {
    return { ...this.counts };
  }

  /**
   * Poll the queue and hand each batch to `worker`, at most `maxConcurrency` batches at once, until
   * stopped. A worker that throws fails its whole batch (reported to `onWorkerError`, never thrown).
   */
  startPoller(
    worker: (records: LocalQueueRecord[]) => Promise<BatchResponse>,
    onWorkerError: (error: unknown) => void = () => undefined,
  ): LocalQueuePoller {
    let stopped = false;
    const inFlight = new Set<Promise<void>>();
    const limit = this.options.maxConcurrency ?? 2;
    const deliver = async (records: LocalQueueRecord[]) => {
      this.counts.workerCalls++;
      let response: BatchResponse | 'threw';
      try {
        response = await worker(records);
      } catch (error) {
        this.counts.workerErrors++;
        response = 'threw';
        onWorkerError(error);
      }
      this.settle(records, response);
    };
    const loop = (async () => {
      while (!stopped) {
        if (inFlight.size >= limit) {
          await Promise.race(inFlight);
          continue;
        }
        const records = this.receive();
        if (records.length === 0) {
          await sleep(this.options.pollIntervalMs ?? 50);
          continue;
        }
        const p = deliver(records).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
      },
      idle: async (timeoutMs = 30_000) => {
        const until = Date.now() + timeoutMs;
        while (this.active > 0 || inFlight.size > 0) {
          if (Date.now() > until) throw new Error(`the local ingest queue is still busy after ${timeoutMs} ms`);
          await sleep(this.options.pollIntervalMs ?? 50);
        }
      },
      drained: async (timeoutMs = 30_000) => {
        const until = Date.now() + timeoutMs;
        while (this.depth > 0 || inFlight.size > 0) {
          if (Date.now() > until) throw new Error(`the local ingest queue still holds ${this.depth} messages`);
          await sleep(this.options.pollIntervalMs ?? 50);
        }
      },
    };
  }
}

export interface LocalQueuePoller {
  /** Stop polling; resolves once batches in flight are settled. */
  stop(): Promise<void>;
  /** Resolves when no message is visible or in flight (failed ones may still wait out their timeout). */
  idle(timeoutMs?: number): Promise<void>;
  /** Resolves when every message is deleted or dead-lettered. */
  drained(timeoutMs?: number): Promise<void>;
}

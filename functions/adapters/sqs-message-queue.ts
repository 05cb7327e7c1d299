import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { EkmPipelineError } from '../core/errors';
import type { MessageQueue } from '../ports/message-queue';

/** SQS limits of one SendMessageBatch call: 10 entries, 256 KiB of bodies in all. */
export const SQS_BATCH_ENTRIES = 10;
export const SQS_BATCH_BYTES = 256 * 1024;

export interface SqsMessageQueueOptions {
  /** Retries of the entries SQS reports as failed (default 3; each after a growing pause). */
  readonly retries?: number;
  /** Pause before the first retry, doubled for each next one (default 200 ms). */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Bodies grouped for SendMessageBatch: at most 10 per group and 256 KiB of bodies per group. */
export function batchBodies(bodies: readonly string[]): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (size > SQS_BATCH_BYTES)
      throw new EkmPipelineError('QUEUE_SEND', `a message body of ${size} bytes is over the SQS limit of 256 KiB`);
    if (group.length === SQS_BATCH_ENTRIES || (group.length > 0 && bytes + size > SQS_BATCH_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(body);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * SQS as the {@link MessageQueue} of the ingest fan-out. Sends in batches of 10; entries SQS
 * reports as failed (throttling, a transient fault) are sent again with backoff, and if some are
 * still refused the send fails naming how many bodies were not accepted and SQS's error codes —
 * never the bodies themselves.
 */
export class SqsMessageQueue implements MessageQueue {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    options: SqsMessageQueueOptions = {},
  ) {
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.sleep = options.sleep ?? pause;
  }

  /** A queue on the Lambda's own region and credentials. */
  static fromUrl(queueUrl: string, options: SqsMessageQueueOptions = {}): SqsMessageQueue {
    return new SqsMessageQueue(new SQSClient({}), queueUrl, options);
  }

  async send(bodies: readonly string[]): Promise<void> {
    let refused = 0;
    const codes = new Set<string>();
    for (const group of batchBodies(bodies)) {
      const left = await this.sendGroup(group);
      refused += left.entries.length;
      for (const code of left.codes) codes.add(code);
    }
    if (refused > 0)
      throw new EkmPipelineError(
        'QUEUE_SEND',
        `SQS did not accept ${refused} of ${bodies.length} messages (retried up to ${this.retries} times)` +
          ` (${[...codes].sort().join(', ') || 'no error code'}); the next schedule enqueues them again`,
      );
  }

  /** Sends one group; returns the entries still refused after the retries, with SQS's codes. */
  private async sendGroup(
    group: readonly string[],
  ): Promise<{ entries: SendMessageBatchRequestEntry[]; codes: string[] }> {
    let entries: SendMessageBatchRequestEntry[] = group.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
    let codes: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      const failed = out.Failed ?? [];
      if (failed.length === 0) return { entries: [], codes: [] };
      const ids = new Set(failed.map((f) => f.Id));
      entries = entries.filter((e) => ids.has(e.Id));
      codes = failed.map((f) => `${f.Code ?? 'unknown'}${f.SenderFault ? ' (sender fault)' : ''}`);
      // A sender fault (a malformed entry) fails the same way again: retry only SQS's own faults.
      if (attempt >= this.retries || failed.every((f) => f.SenderFault)) return { entries, codes };
      await this.sleep(this.backoffMs * 2 ** attempt);
    }
  }
}

/**
 * Edge batch receipts: one record per (gateway, batch id) that the lake has durably taken. They
 * make a re-sent batch (the collector crashed before it saw the acknowledgement) a no-op that is
 * acknowledged again. DynamoDB's shared state table in AWS and locally (`EDGE#` items), memory in tests.
 */
export interface EdgeReceipt {
  readonly gateway: string;
  readonly batchId: string;
  /** SHA-256 of the batch's readings: the same id with different content is a conflict. */
  readonly digest: string;
  readonly readings: number;
  readonly receivedAtMs: number;
}

export interface EdgeReceipts {
  get(gateway: string, batchId: string): Promise<EdgeReceipt | undefined>;
  /** Record a receipt unless one exists; false when it already existed (a concurrent duplicate). */
  put(receipt: EdgeReceipt): Promise<boolean>;
}

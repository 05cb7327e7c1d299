import type { EdgeReceipt, EdgeReceipts } from '../../functions/ports/edge-receipts';

/** Edge batch receipts in memory, for use-case and handler tests. */
export class InMemoryEdgeReceipts implements EdgeReceipts {
  readonly items = new Map<string, EdgeReceipt>();
  async get(gateway: string, batchId: string): Promise<EdgeReceipt | undefined> {
    return this.items.get(`${gateway}/${batchId}`);
  }
  async put(receipt: EdgeReceipt): Promise<boolean> {
    const key = `${receipt.gateway}/${receipt.batchId}`;
    if (this.items.has(key)) return false;
    this.items.set(key, receipt);
    return true;
  }
}

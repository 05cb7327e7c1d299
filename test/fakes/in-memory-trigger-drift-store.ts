import type { DriftRecord, TriggerDriftStore } from '../../functions/ports/trigger-drift-store';

/**
 * Trigger drift records in memory, with the DynamoDB adapter's rules
 * (test/adapters/trigger-drift-store-contract.test.ts): the latest check per gateway replaces the
 * previous one, every check is kept in a dated history, records come back as stored JSON, and one
 * call may hold at most one check per gateway.
 */
export class InMemoryTriggerDriftStore implements TriggerDriftStore {
  /** Every recorded check, oldest first (as stored: a JSON copy). */
  readonly history: DriftRecord[] = [];
  private readonly latestByGateway = new Map<string, string>();

  async record(records: readonly DriftRecord[]): Promise<void> {
    // As DynamoDB's BatchWriteItem: one call may not write the same gateway's LATEST item twice.
    const gateways = records.map((r) => r.gateway);
    if (new Set(gateways).size !== gateways.length)
      throw new Error('ValidationException: Provided list of item keys contains duplicates');
    for (const r of records) {
      const text = JSON.stringify(r);
      this.history.push(JSON.parse(text) as DriftRecord);
      this.latestByGateway.set(r.gateway, text);
    }
  }
  async latest(gateway: string): Promise<DriftRecord | undefined> {
    const text = this.latestByGateway.get(gateway);
    return text ? (JSON.parse(text) as DriftRecord) : undefined;
  }
}

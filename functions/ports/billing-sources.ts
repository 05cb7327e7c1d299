import type { BillingFile } from '../core/billing/billing-file';
import type { ReadingsByMeter } from '../core/billing/readings-csv';
import type { MeterId } from '../core/readings/meter-id';

/** The billing file and the URDB records it names (paths relative to the billing file). */
export interface BillingFileSource {
  /** The file as the user named it (messages). */
  readonly file: string;
  /** Read, parse and check the billing file; throws a ValidationError naming the file and pointer. */
  load(): Promise<BillingFile>;
  /** The parsed JSON of a URDB record named in a plan version (`urdb:`), as written in the file. */
  urdbRecord(path: string, pointer: string): Promise<unknown>;
}

/** Register reads of meters: a readings file today, the lake later. */
export interface ReadingsSource {
  /** What the reads come from (a file name), for messages. */
  readonly description: string;
  /**
   * Reads of these meters, each list in time order, covering at least [fromMs, toMs] where the
   * source has them (it may return more). Meters without any read are absent from the map.
   */
  readings(meters: readonly MeterId[], fromMs: number, toMs: number): Promise<ReadingsByMeter>;
}

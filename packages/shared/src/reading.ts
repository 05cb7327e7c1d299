import type { MeterId } from './meter-id';
import type { MeterProtocol } from './protocol';

/** Where a reading came from: every stored reading carries its provenance. */
export type ReadingSource = 'realtime' | 'summary' | 'edge';

/**
 * A typed value of one EKM field. Measured values and settings are numbers (EKM's decimal strings
 * parsed); a few fields stay text because EKM defines them as text (`Cos_Theta_Ln_1` = "0.99 C",
 * `Meter_Time` = "18091406124051", `Firmware`, `Model`).
 */
export type FieldValue = number | string;

/**
 * The one reading model shared by every stage (realtime, summary, edge, lake, billing) and by the
 * edge collector, which uploads readings in this shape. `fields` is keyed by EKM's own field names
 * (`kWh_Tot`, `RMS_Volts_Ln_1`, ...); absent fields are absent, never zero. Time is UTC epoch
 * milliseconds.
 */
export interface Reading {
  /** 12-digit zero-padded meter address. */
  readonly meter: MeterId;
  /** UTC epoch ms of the read (EKM's `Time_Stamp_UTC_ms`; for summaries, the bucket start; at the edge, the collector's clock when the read completed). */
  readonly timeMs: number;
  /** EKM's `Good`: false for failed reads, which are kept and flagged but never used for usage. */
  readonly good: boolean;
  readonly protocol?: MeterProtocol;
  readonly source: ReadingSource;
  /** Non-secret provenance: the key alias (cloud) or gateway id (edge) the reading came through. */
  readonly via: string;
  /** EKM field name → typed value. Metadata (`Good`, `Time_Stamp_UTC_ms`, `Date`, `Time`) is not repeated here. */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

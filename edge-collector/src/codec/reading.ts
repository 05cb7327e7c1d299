/**
 * The reading model. The edge package cannot import the root project, so this MIRRORS the root
 * `Reading` in functions/core/readings/reading.ts field for field: `{meter, timeMs, good,
 * protocol, source, via, fields}`, with `fields` keyed by EKM's own field names (kWh_Tot,
 * RMS_Volts_Ln_1, Cos_Theta_Ln_1 = "0.99 C", Meter_Time = "15090103100622", ...). The pipeline's
 * ingest endpoint validates this shape on arrival, so a drift between the two is caught there.
 */
export type FieldValue = number | string;

/** The meter protocol family whose field set a reading follows (v5 meters read as v4). */
export type MeterProtocol = 'v3' | 'v4' | 'v5';

/** One full reading as the collector uploads it. */
export interface EdgeReading {
  /** 12-digit zero-padded meter address. */
  readonly meter: string;
  /** UTC epoch ms when the collector completed the read (its own clock, not the meter's). */
  readonly timeMs: number;
  /** Always true for uploaded edge readings: frames that fail any check are never turned into readings. */
  readonly good: boolean;
  readonly protocol?: MeterProtocol;
  readonly source: 'edge';
  /** The gateway id (non-secret) the reading came through. */
  readonly via: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
}

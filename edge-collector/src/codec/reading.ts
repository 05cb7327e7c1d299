/**
 * The reading model is the pipeline's own (packages/shared/src/reading.ts): `{meter, timeMs, good,
 * protocol, source, via, fields}`, with `fields` keyed by EKM's field names (kWh_Tot,
 * RMS_Volts_Ln_1, Cos_Theta_Ln_1 = "0.99 C", Meter_Time = "15090103100622", ...). The edge uploads
 * readings whose source is always `edge`.
 */
import type { Reading } from '@ekm-pipeline/shared';

export type { FieldValue, MeterProtocol } from '@ekm-pipeline/shared';

/**
 * One full reading as the collector uploads it: `timeMs` is the collector's clock when the read
 * completed (not the meter's), `good` is always true (frames that fail any check never become
 * readings), `via` is the gateway id.
 */
export type EdgeReading = Reading & { readonly source: 'edge' };

/**
 * The reading model (Reading, FieldValue, MeterProtocol, ReadingSource) lives in the workspace package
 * shared with the edge collector (packages/shared/src/reading.ts); core code imports it from here.
 */
export type { FieldValue, MeterProtocol, Reading, ReadingSource } from '@ekm-pipeline/shared';
export { isMeterProtocol } from '@ekm-pipeline/shared';

/**
 * `@ekm-pipeline/shared`: what the pipeline (root workspace) and the edge collector share. Pure
 * TypeScript with no dependencies and no I/O, consumed as source by tsc, jest (@swc/jest), tsx and
 * esbuild.
 */
export { asError } from './errors';
export { isMeterId, type MeterId, padMeterId, toApiSerial } from './meter-id';
export {
  familyOfAddress,
  familyOfProtocol,
  isMeterProtocol,
  METER_PROTOCOLS,
  type MeterFamily,
  type MeterProtocol,
} from './protocol';
export type { FieldValue, Reading, ReadingSource } from './reading';
export {
  checkSecretRef,
  describeSecretRef,
  ENV_NAME,
  SECRET_REF_HINT,
  SECRET_REF_KINDS,
  type SecretRef,
  type SecretRefKind,
  secretRefKind,
} from './secret-ref';

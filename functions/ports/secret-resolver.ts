import type { SecretRef } from '../config/project-config';

/** Resolves a secret reference at the last moment. Implementations never log the value. */
export interface SecretResolver {
  resolve(ref: SecretRef, field: string): Promise<string>;
}

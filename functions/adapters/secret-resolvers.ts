import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretRef } from '../config/project-config';
import { ValidationError } from '../core/errors';
import type { SecretResolver } from '../ports/secret-resolver';

/**
 * Resolves `{env}` and `{value}` refs locally and `{secretsManager}` refs through AWS Secrets
 * Manager (the client is created only when such a ref is met, so local runs need no AWS).
 */
export class DefaultSecretResolver implements SecretResolver {
  private sm?: SecretsManagerClient;
  private readonly cache = new Map<string, string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async resolve(ref: SecretRef, field: string): Promise<string> {
    if ('value' in ref) return ref.value;
    if ('env' in ref) {
      const value = this.env[ref.env]?.trim();
      if (!value)
        throw new ValidationError(
          field,
          `environment variable ${ref.env} is not set; export it or use {value: ...} in the config`,
        );
      return value;
    }
    const cached = this.cache.get(ref.secretsManager);
    if (cached) return cached;
    this.sm ??= new SecretsManagerClient({});
    const out = await this.sm.send(new GetSecretValueCommand({ SecretId: ref.secretsManager }));
    const value = out.SecretString?.trim();
    if (!value) throw new ValidationError(field, `secret ${ref.secretsManager} has no string value`);
    this.cache.set(ref.secretsManager, value);
    return value;
  }
}

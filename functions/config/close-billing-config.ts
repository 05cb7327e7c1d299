import { optionalEnv, requiredEnv } from './env';
import { ENV } from './env-names';

type Env = Readonly<Record<string, string | undefined>>;

/** What the scheduled `close-billing` Lambda needs, read from its environment. */
export interface CloseBillingConfig {
  /** The state table: drafts, leases, closed invoices and the number sequences (STATE_TABLE). */
  readonly table: string;
  /** The lake bucket: the billing file is read from it and invoices are published under `invoices/` (LAKE_BUCKET). */
  readonly bucket: string;
  /** Lake prefix; invoices go under `<prefix>invoices/` (LAKE_PREFIX). @default '' */
  readonly prefix: string;
  /** Object key of the billing file in the bucket (BILLING_FILE_KEY). */
  readonly billingFileKey: string;
}

/** The close's configuration from the Lambda environment; errors name the variable and the fix. */
export function loadCloseBillingConfig(env: Env): CloseBillingConfig {
  return {
    table: requiredEnv(env, ENV.STATE_TABLE),
    bucket: requiredEnv(env, ENV.LAKE_BUCKET),
    prefix: optionalEnv(env, ENV.LAKE_PREFIX) ?? '',
    billingFileKey: requiredEnv(env, ENV.BILLING_FILE_KEY).replace(/^\/+/, ''),
  };
}

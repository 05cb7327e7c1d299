import { posix } from 'node:path';
import { type BillingFile, parseBillingFileText } from '../core/billing/billing-file';
import { asError, ValidationError } from '../core/errors';
import type { BillingFileSource } from '../ports/billing-sources';
import type { ObjectStore } from '../ports/object-store';

/**
 * The billing file in an object store (S3 for the `close-billing` Lambda): URDB records are read
 * relative to the billing file's key, as FileBillingSource (adapters/billing-files.ts) reads them
 * relative to its folder, so the same billing folder works on disk and uploaded to S3.
 */
export class ObjectBillingSource implements BillingFileSource {
  private readonly records = new Map<string, Promise<unknown>>();
  readonly file: string;

  constructor(
    private readonly objects: ObjectStore,
    private readonly key: string,
    /** How the file is named in messages (e.g. `s3://bucket/key`); default the key. */
    name?: string,
  ) {
    this.file = name ?? key;
  }

  private async text(key: string, what: string, where: string): Promise<string> {
    let body: Uint8Array | undefined;
    try {
      body = await this.objects.get(key);
    } catch (cause) {
      throw new ValidationError(where, `cannot read ${what} ${key} (${asError(cause).message})`, { cause });
    }
    if (!body) throw new ValidationError(where, `no object ${key}: upload ${what} there`);
    return new TextDecoder().decode(body);
  }

  async load(): Promise<BillingFile> {
    return parseBillingFileText(await this.text(this.key, 'the billing file', this.file), this.file);
  }

  urdbRecord(path: string, pointer: string): Promise<unknown> {
    const key = posix.normalize(posix.join(posix.dirname(this.key), path)).replace(/^\/+/, '');
    let record = this.records.get(key);
    if (!record) {
      const where = `${this.file}: ${pointer}`;
      record = this.text(key, `the URDB record ${JSON.stringify(path)} (relative to the billing file)`, where).then(
        (text) => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch (cause) {
            throw new ValidationError(where, `the URDB record ${key} is not JSON: ${asError(cause).message}`, {
              cause,
            });
          }
          const items = (json as { items?: unknown[] } | null)?.items;
          return Array.isArray(items) && items.length === 1 ? items[0] : json;
        },
      );
      this.records.set(key, record);
    }
    return record;
  }
}

import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { asError, EkmPipelineError } from '../core/errors';
import type { ObjectInfo, ObjectStore } from '../ports/object-store';

/** S3 (or an S3-compatible server such as s3rver) as the lake's {@link ObjectStore}. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** A client for a config `lake` section: path-style addressing when an endpoint is given (local servers). */
  static fromConfig(lake: { bucket: string; endpoint?: string; region?: string }): S3ObjectStore {
    const config: S3ClientConfig = { region: lake.region ?? process.env.AWS_REGION ?? 'us-east-1' };
    if (lake.endpoint) {
      config.endpoint = lake.endpoint;
      config.forcePathStyle = true;
      // Local stand-ins accept any credentials; never require a real AWS profile for them.
      config.credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    }
    return new S3ObjectStore(new S3Client(config), lake.bucket);
  }

  async put(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) return new Uint8Array();
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new EkmPipelineError('LAKE_READ', `cannot read s3://${this.bucket}/${key}: ${asError(error).message}`, {
        cause: error,
      });
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, ...(o.ETag ? { etag: o.ETag } : {}) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      const out = await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (out.Errors && out.Errors.length > 0)
        throw new EkmPipelineError(
          'LAKE_DELETE',
          `cannot delete ${out.Errors.length} objects, first: ${out.Errors[0]?.Key} (${out.Errors[0]?.Message})`,
        );
    }
  }
}

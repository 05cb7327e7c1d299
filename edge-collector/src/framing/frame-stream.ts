import { Transform, type TransformCallback } from 'node:stream';
import { FrameScanner, type ScanItem } from './frame-scanner';

/**
 * A Transform from raw serial bytes to ScanItems (object mode): whole checked frames, ACKs and
 * dropped-frame notices. Counts are in `stats`.
 */
export class FrameStream extends Transform {
  private readonly scanner = new FrameScanner();

  constructor() {
    super({ readableObjectMode: true });
  }

  get stats() {
    return this.scanner.stats;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const item of this.scanner.push(chunk)) this.push(item satisfies ScanItem);
    callback();
  }
}

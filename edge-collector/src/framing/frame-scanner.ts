/**
 * Pure stream framing for meter replies: buffers chunks, resynchronises on STX, and yields whole
 * 255-byte frames that pass the frame-level checks (checkFrame), or a lone ACK (0x06). Split and
 * merged chunks are handled; noise before a frame is dropped and counted; a candidate frame that
 * fails its checks is dropped and the scan resumes at the next STX inside it.
 */
import { ACK } from '../codec/commands';
import { checkFrame, FRAME_LENGTH } from '../codec/decode';
import { CodecError } from '../codec/errors';

const STX = 0x02;

export type ScanItem =
  | { readonly type: 'frame'; readonly frame: Uint8Array }
  | { readonly type: 'ack' }
  | { readonly type: 'dropped'; readonly reason: CodecError };

export interface ScanStats {
  /** Frames emitted. */
  frames: number;
  /** Candidate frames (STX + 255 bytes) that failed a check. */
  droppedFrames: number;
  /** Bytes thrown away while looking for STX. */
  noiseBytes: number;
}

export class FrameScanner {
  private buffer: Uint8Array = new Uint8Array(0);
  readonly stats: ScanStats = { frames: 0, droppedFrames: 0, noiseBytes: 0 };

  /** Bytes held while waiting for the rest of a frame. */
  get pending(): number {
    return this.buffer.length;
  }

  /** True once the first byte of a reply has been seen (used for first-byte vs completion timeouts). */
  get inFrame(): boolean {
    return this.buffer.length > 0 && this.buffer[0] === STX;
  }

  /** Forget buffered bytes (e.g. before a new request). */
  reset(): void {
    this.buffer = new Uint8Array(0);
  }

  push(chunk: Uint8Array): ScanItem[] {
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer, 0);
    merged.set(chunk, this.buffer.length);
    let buf = merged;
    const out: ScanItem[] = [];
    for (;;) {
      // Outside a frame: an ACK is a message of its own; everything else before STX is noise.
      let i = 0;
      while (i < buf.length && buf[i] !== STX) {
        if (buf[i] === ACK) out.push({ type: 'ack' });
        else this.stats.noiseBytes++;
        i++;
      }
      buf = buf.subarray(i);
      if (buf.length < FRAME_LENGTH) break;
      const candidate = buf.subarray(0, FRAME_LENGTH);
      try {
        checkFrame(candidate);
        out.push({ type: 'frame', frame: Uint8Array.from(candidate) });
        this.stats.frames++;
        buf = buf.subarray(FRAME_LENGTH);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.stats.droppedFrames++;
        out.push({ type: 'dropped', reason: error });
        // Resync: skip this STX; the real frame may start at a later STX inside the candidate.
        this.stats.noiseBytes++;
        buf = buf.subarray(1);
      }
    }
    this.buffer = Uint8Array.from(buf);
    return out;
  }
}

/**
 * The polling state machine for one exchange with one meter (docs/rs485-protocol.md §2.1), pure: it consumes
 * `start` / `bytes` / `timeout` events and answers with the frames to write, the next timeout and,
 * at the end, the result. No timers or I/O inside; a driver (transport/run-exchange.ts) owns those.
 *
 *   read:  request (v3 | A) → reply → [B request → reply] → close
 *   write: request (v3 | A) → reply → password → ACK → command → ACK → close
 *
 * A request whose reply times out or fails a check is re-sent up to `retries` times. A missing ACK
 * stops the exchange (unlike EKM's library, which sends the command anyway; docs/rs485-protocol.md §8). Every
 * exchange ends with the close string, also on failure.
 */
import type { MeterFamily } from '@ekm-pipeline/shared';
import { ACK, CLOSE_STRING, passwordCommand, readRequest } from '../codec/commands';
import { type DecodedBlock, decodeFrame, type FrameKind } from '../codec/decode';
import { CodecError } from '../codec/errors';
import { FrameScanner } from '../framing/frame-scanner';

export interface ExchangeTiming {
  /** How long to wait for the first byte of a reply (or the ACK). */
  readonly firstByteMs: number;
  /** How long a reply may take from its first byte to its last (255 bytes ≈ 266 ms at 9600). */
  readonly completeMs: number;
  /** Re-sends of a request after a timeout or a bad reply. */
  readonly retries: number;
}

/** Defaults chosen in docs/rs485-protocol.md §2.2 (short first-byte timeout, reply-complete timeout). */
export const DEFAULT_TIMING: ExchangeTiming = { firstByteMs: 500, completeMs: 600, retries: 2 };

/** The wire family (v5 meters speak v4): shared with the pipeline (packages/shared/src/protocol.ts). */
export type { MeterFamily };

export type ExchangePlan =
  | { readonly kind: 'read'; readonly address: string; readonly family: MeterFamily; readonly readB: boolean }
  | {
      readonly kind: 'write';
      readonly address: string;
      readonly family: MeterFamily;
      readonly password: string;
      readonly command: Uint8Array;
    };

export type ExchangeEvent =
  | { readonly type: 'start' }
  | { readonly type: 'bytes'; readonly data: Uint8Array }
  | { readonly type: 'timeout' };

export type ExchangeFailure = 'TIMEOUT' | 'NO_ACK' | CodecError['code'];

export type ExchangeResult =
  | { readonly ok: true; readonly primary: DecodedBlock; readonly b?: DecodedBlock; readonly attempts: number }
  | { readonly ok: false; readonly failure: ExchangeFailure; readonly message: string; readonly attempts: number };

export interface ExchangeAction {
  /** Frames to write, in order. */
  readonly write: readonly Uint8Array[];
  /** Arm (or re-arm) the timeout; undefined keeps the current one. */
  readonly timeoutMs?: number;
  /** Set when the exchange is over. */
  readonly done?: ExchangeResult;
}

type Step = 'primary' | 'b' | 'password' | 'command' | 'finished';

export class Exchange {
  private step: Step = 'primary';
  private attempt = 0;
  private totalAttempts = 0;
  private primary: DecodedBlock | undefined;
  private lastError: { failure: ExchangeFailure; message: string } = { failure: 'TIMEOUT', message: 'no reply' };
  private readonly scanner = new FrameScanner();

  constructor(
    readonly plan: ExchangePlan,
    private readonly timing: ExchangeTiming = DEFAULT_TIMING,
  ) {}

  get finished(): boolean {
    return this.step === 'finished';
  }

  /** Counts from the framing layer (dropped frames, noise bytes). */
  get scanStats() {
    return this.scanner.stats;
  }

  handle(event: ExchangeEvent): ExchangeAction {
    if (this.step === 'finished') return { write: [] };
    if (event.type === 'start') return this.send();
    if (event.type === 'timeout') {
      const what = this.step === 'password' || this.step === 'command' ? 'ACK' : 'reply';
      const partial = this.scanner.pending;
      this.lastError =
        partial > 0
          ? { failure: 'TRUNCATED', message: `${what} incomplete after ${partial} bytes` }
          : { failure: this.expectsAck() ? 'NO_ACK' : 'TIMEOUT', message: `no ${what} from ${this.plan.address}` };
      return this.retryOrFail();
    }
    const wasInFrame = this.scanner.inFrame;
    let dropped = false;
    for (const item of this.scanner.push(event.data)) {
      if (item.type === 'dropped') {
        // Noise can start with a stray STX: the scanner resyncs and the real reply may follow.
        this.lastError = { failure: item.reason.code, message: item.reason.message };
        dropped = true;
        continue;
      }
      if (item.type === 'ack') {
        if (this.expectsAck()) return this.advance();
        continue;
      }
      if (this.expectsAck()) continue; // a stray frame while waiting for ACK; keep waiting
      try {
        const block = decodeFrame(item.frame, {
          kind: this.expectedKind(),
          address: this.plan.address,
          ...(this.step === 'b' ? { scale: Number(this.primary?.fields.kWh_Scale ?? 0) } : {}),
        });
        if (this.step === 'primary') this.primary = block;
        return this.advance(block);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.lastError = { failure: error.code, message: error.message };
        return this.retryOrFail();
      }
    }
    // A bad candidate and nothing else on the way: the reply is lost, ask again now.
    if (dropped && !this.scanner.inFrame && !this.expectsAck()) return this.retryOrFail();
    // First byte of a reply seen: switch from the first-byte timeout to the completion timeout.
    if (!wasInFrame && this.scanner.inFrame) return { write: [], timeoutMs: this.timing.completeMs };
    return { write: [] };
  }

  private expectsAck(): boolean {
    return this.step === 'password' || this.step === 'command';
  }

  private expectedKind(): FrameKind {
    if (this.plan.family === 'v3') return 'v3';
    return this.step === 'b' ? 'v4b' : 'v4a';
  }

  private frameFor(step: Step): Uint8Array {
    const { plan } = this;
    if (step === 'primary') return readRequest(plan.address, plan.family === 'v3' ? 'v3' : 'A');
    if (step === 'b') return readRequest(plan.address, 'B');
    if (step === 'password' && plan.kind === 'write') return passwordCommand(plan.password);
    if (step === 'command' && plan.kind === 'write') return plan.command;
    throw new Error(`no frame for step ${step}`);
  }

  private send(): ExchangeAction {
    this.scanner.reset();
    this.totalAttempts++;
    return { write: [this.frameFor(this.step)], timeoutMs: this.timing.firstByteMs };
  }

  private retryOrFail(): ExchangeAction {
    // A password or command is never repeated blindly: a lost ACK may hide an applied write.
    if (!this.expectsAck() && this.attempt < this.timing.retries) {
      this.attempt++;
      return this.send();
    }
    return this.finish({ ok: false, ...this.lastError, attempts: this.totalAttempts });
  }

  private advance(block?: DecodedBlock): ExchangeAction {
    this.attempt = 0;
    const { plan } = this;
    let next: Step;
    if (this.step === 'primary') {
      next = plan.kind === 'write' ? 'password' : plan.family === 'v4' && plan.readB ? 'b' : 'finished';
    } else if (this.step === 'password') next = 'command';
    else next = 'finished';
    if (next === 'finished') {
      const primary = this.primary;
      if (!primary) throw new Error('exchange finished without a primary block');
      const b = this.step === 'b' ? block : undefined;
      return this.finish({ ok: true, primary, ...(b ? { b } : {}), attempts: this.totalAttempts });
    }
    this.step = next;
    return this.send();
  }

  private finish(result: ExchangeResult): ExchangeAction {
    this.step = 'finished';
    return { write: [CLOSE_STRING], done: result };
  }
}

/** Re-export for drivers that check single-byte replies. */
export { ACK };

/**
 * Why a frame or a command argument was rejected. Callers branch on `code`; the message says what
 * was received and what was expected (docs/rs485-protocol.md §4.2, §8).
 */
export type CodecErrorCode =
  | 'TRUNCATED'
  | 'OVERLONG'
  | 'NOT_7BIT'
  | 'BAD_START_BYTE'
  | 'BAD_TRAILER'
  | 'CRC_MISMATCH'
  | 'ADDRESS_MISMATCH'
  | 'WRONG_BLOCK'
  | 'BAD_FIELD'
  | 'UNKNOWN_KIND'
  | 'BAD_ARGUMENT';

/** A frame failed a check, or a command was asked for with an out-of-range argument. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The transport port: a half-duplex byte pipe to the bus. Implemented over serialport
 * (SerialTransport) and, in tests, over anything that moves bytes.
 */
export interface ByteLink {
  /** Queue bytes for the wire; resolves once the OS has them (drained). */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribe to received bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

/** Real or fake timers, injected so only src/cli/ decides which (CONTRIBUTING.md §5.2). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

import { SerialPort } from 'serialport';
import type { ByteLink } from './byte-link';

/** EKM line settings (docs/rs485-protocol.md §1): 9600 baud, 7 data bits, even parity, 1 stop bit, no flow control. */
export const EKM_SERIAL = { baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1, rtscts: false } as const;

/**
 * A ByteLink over serialport 13 (a USB RS-485 adapter, or a pty in tests and the simulator).
 * Opening fails with a message naming the port and the likely fix.
 */
export class SerialTransport implements ByteLink {
  private constructor(private readonly port: SerialPort) {}

  static open(path: string, settings: Partial<typeof EKM_SERIAL> = {}): Promise<SerialTransport> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, ...EKM_SERIAL, ...settings, autoOpen: false });
      port.open((error) => {
        if (error) {
          reject(
            new Error(
              `cannot open serial port ${path}: ${error.message} (check the path, permissions (dialout group) and that nothing else holds it)`,
            ),
          );
        } else resolve(new SerialTransport(port));
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (error) => {
        if (error) return reject(error);
        this.port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    const handler = (chunk: Buffer) => listener(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.port.on('data', handler);
    return () => this.port.off('data', handler);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.port.isOpen) return resolve();
      this.port.close(() => resolve());
    });
  }
}

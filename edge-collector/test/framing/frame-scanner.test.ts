import { Readable } from 'node:stream';
import { buildReply } from '../../src/codec/encode';
import { FrameScanner, type ScanItem } from '../../src/framing/frame-scanner';
import { FrameStream } from '../../src/framing/frame-stream';

const frameA = buildReply({ kind: 'v4a', address: '000300001463' });
const frameB = buildReply({ kind: 'v4b', address: '000300001463' });
const frames = (items: ScanItem[]) =>
  items.filter((i) => i.type === 'frame').map((i) => (i.type === 'frame' ? i.frame : null));

describe('FrameScanner', () => {
  it('emits one frame from one chunk', () => {
    const scanner = new FrameScanner();
    expect(frames(scanner.push(frameA))).toEqual([frameA]);
    expect(scanner.pending).toBe(0);
  });

  it('emits two frames merged into one chunk', () => {
    const scanner = new FrameScanner();
    expect(frames(scanner.push(Uint8Array.from([...frameA, ...frameB])))).toEqual([frameA, frameB]);
  });

  it.each([1, 7, 100, 254])('joins a frame split after %d bytes', (at) => {
    const scanner = new FrameScanner();
    expect(scanner.push(frameA.subarray(0, at))).toEqual([]);
    expect(scanner.inFrame).toBe(true);
    expect(frames(scanner.push(frameA.subarray(at)))).toEqual([frameA]);
  });

  it('joins a frame delivered one byte at a time', () => {
    const scanner = new FrameScanner();
    const out: ScanItem[] = [];
    for (const b of frameA) out.push(...scanner.push(Uint8Array.of(b)));
    expect(frames(out)).toEqual([frameA]);
  });

  it('resynchronises after noise, including a stray STX, and counts what it dropped', () => {
    const scanner = new FrameScanner();
    const noise = Uint8Array.from([0x41, 0x7f, 0x02, 0x33, 0x20, 0x02, 0x10]);
    const out = scanner.push(Uint8Array.from([...noise, ...frameA.subarray(0, 120)]));
    expect(frames(out)).toEqual([]);
    const rest = scanner.push(Uint8Array.from([...frameA.subarray(120), ...noise.subarray(0, 2), ...frameB]));
    expect(frames([...out, ...rest])).toEqual([frameA, frameB]);
    expect(scanner.stats.droppedFrames).toBe(2);
    expect(scanner.stats.frames).toBe(2);
    expect(scanner.stats.noiseBytes).toBe(9);
  });

  it('drops a frame with a bad CRC and keeps the next good one', () => {
    const scanner = new FrameScanner();
    const bad = Uint8Array.from(frameA);
    bad[253] = (bad[253] ?? 0) ^ 1;
    const out = scanner.push(Uint8Array.from([...bad, ...frameB]));
    expect(frames(out)).toEqual([frameB]);
    expect(out[0]).toMatchObject({ type: 'dropped', reason: { code: 'CRC_MISMATCH' } });
    expect(scanner.stats.droppedFrames).toBe(1);
  });

  it('reports a lone ACK outside a frame', () => {
    const scanner = new FrameScanner();
    expect(scanner.push(Uint8Array.of(0x06))).toEqual([{ type: 'ack' }]);
  });
});

describe('FrameStream', () => {
  it('turns arbitrary chunks into frames in object mode', async () => {
    const bytes = Buffer.from([0x55, ...frameA, ...frameB]);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 300), bytes.subarray(300)];
    const stream = Readable.from(chunks).pipe(new FrameStream());
    const items: ScanItem[] = [];
    for await (const item of stream) items.push(item as ScanItem);
    expect(frames(items)).toEqual([frameA, frameB]);
  });
});

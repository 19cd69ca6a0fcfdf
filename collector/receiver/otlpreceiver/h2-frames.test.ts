import { describe, expect, it } from 'vitest';
import { errorCodeOf, frameBytes, FrameScanner, FrameType, goawayFrame, PREFACE, type Frame } from './h2-frames.js';

const frame = frameBytes;

const settings = frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(6));
const headers = frame(FrameType.HEADERS, 4, 1, Buffer.from([0x82, 0x86]));
const data = frame(FrameType.DATA, 1, 1, Buffer.alloc(300, 7));
const ping = frame(FrameType.PING, 0, 0, Buffer.alloc(8));
const rst = frame(FrameType.RST_STREAM, 0, 3, Buffer.from([0, 0, 0, 8]));
const goaway = goawayFrame(5, 0xb, 'too_many_pings');

function scanAll(chunks: Buffer[], preface: boolean) {
  const frames: Frame[] = [];
  const s = new FrameScanner(preface, (f) => frames.push({ ...f, head: Buffer.from(f.head) }));
  for (const c of chunks) s.push(c);
  return { frames, s };
}

/** The same bytes cut into pieces of `size`. */
function cut(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

describe('HTTP/2 frame scanner', () => {
  const stream = Buffer.concat([PREFACE, settings, headers, data, ping, rst, goaway]);

  it.each([1, 2, 3, 5, 8, 9, 10, 17, 64, stream.length])('finds every frame when the bytes arrive %i at a time', (size) => {
    const { frames, s } = scanAll(cut(stream, size), true);
    expect(frames.map((f) => [f.type, f.flags, f.streamId, f.length])).toEqual([
      [FrameType.SETTINGS, 0, 0, 6],
      [FrameType.HEADERS, 4, 1, 2],
      [FrameType.DATA, 1, 1, 300],
      [FrameType.PING, 0, 0, 8],
      [FrameType.RST_STREAM, 0, 3, 4],
      [FrameType.GOAWAY, 0, 0, 8 + 'too_many_pings'.length],
    ]);
    expect(errorCodeOf(frames[4])).toBe(8);
    expect(errorCodeOf(frames[5])).toBe(0xb);
    expect(frames[5].head.readUInt32BE(0)).toBe(5); // last stream ID
    expect(s.atBoundary).toBe(true);
    expect(s.broken).toBe(false);
  });

  it('knows when it is between frames', () => {
    const s = new FrameScanner(false, () => undefined);
    expect(s.atBoundary).toBe(true);
    s.push(data.subarray(0, 20));
    expect(s.atBoundary).toBe(false);
    s.push(data.subarray(20));
    expect(s.atBoundary).toBe(true);
  });

  it.each([
    ['HTTP/1.1 instead of the preface', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['a preface that goes wrong half-way', Buffer.from('PRI * HTTP/2.0\r\n\r\nXX')],
  ])('marks a bad preface: %s', (_n, bytes) => {
    const { frames, s } = scanAll([bytes], true);
    expect(s.broken).toBe(true);
    expect(frames).toEqual([]);
  });

  it('waits for a partial preface without deciding', () => {
    const { s } = scanAll([PREFACE.subarray(0, 10)], true);
    expect(s.broken).toBe(false);
    expect(s.atBoundary).toBe(false);
  });

  it('a GOAWAY or RST_STREAM too short for its error code reads as 0', () => {
    const { frames } = scanAll([frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(3))], false);
    expect(errorCodeOf(frames[0])).toBe(0);
  });

  it('hands over the first bytes of the frames asked for (a DATA frame\'s gRPC message prefix)', () => {
    const msg = Buffer.concat([Buffer.from([0, 0, 0x10, 0, 0]), Buffer.alloc(20)]); // length 1 MiB
    const frames: Frame[] = [];
    const s = new FrameScanner(false, (f) => frames.push({ ...f, head: Buffer.from(f.head) }), (type) => (type === FrameType.DATA ? 5 : 0));
    for (const c of cut(Buffer.concat([headers, frame(FrameType.DATA, 0, 1, msg)]), 3)) s.push(c);
    expect(frames[1].head.readUInt32BE(1)).toBe(0x100000);
    expect(frames[0].head.length).toBe(0);
    expect(s.atBoundary).toBe(true);
  });
});

/**
 * Follows the frame boundaries of one direction of an HTTP/2 connection (RFC 9113 §4.1: a 9-byte
 * header — 24-bit length, type, flags, 31-bit stream ID — then the payload), chunk by chunk,
 * without copying or buffering the data: it only reads frame headers, plus the first bytes of
 * the payload of the few frame types whose payload matters (GOAWAY's error code, RST_STREAM's).
 * The client direction starts with the 24-byte connection preface.
 *
 * Pure and synchronous, so it can be table-tested with frames split at every byte.
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
} as const;

export const Flag = { END_STREAM: 0x1, ACK: 0x1 } as const;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  length: number;
  /**
   * The first payload bytes of GOAWAY (8) and RST_STREAM (4) frames, and of the frames the
   * scanner's `wantHead` asks for; empty otherwise.
   */
  head: Buffer;
}

/** How many payload bytes to hand over with a frame of this type. */
function headBytes(type: number): number {
  return type === FrameType.GOAWAY ? 8 : type === FrameType.RST_STREAM ? 4 : 0;
}

/** DATA and HEADERS frames with this flag start with a one-byte pad length. */
export const PADDED = 0x8;

/** The error code of a GOAWAY or RST_STREAM frame (0 when its payload was too short). */
export function errorCodeOf(f: Frame): number {
  const at = f.type === FrameType.GOAWAY ? 4 : 0;
  return f.head.length >= at + 4 ? f.head.readUInt32BE(at) : 0;
}

const EMPTY = Buffer.alloc(0);

export class FrameScanner {
  private prefaceLeft: number;
  private readonly header = Buffer.alloc(9);
  private headerFill = 0;
  /** Payload bytes still to skip in the current frame. */
  private payloadLeft = 0;
  private pending: Frame | undefined;
  private headFill = 0;
  /** The preface did not match: nothing after it is parsed. */
  broken = false;

  constructor(
    expectPreface: boolean,
    private readonly onFrame: (f: Frame) => void,
    /** Payload bytes wanted with other frames (the start of a stream's first DATA frame). */
    private readonly wantHead?: (type: number, flags: number, streamId: number) => number,
  ) {
    this.prefaceLeft = expectPreface ? PREFACE.length : 0;
  }

  /** Whether the stream is between two frames (a frame may be written there). */
  get atBoundary(): boolean {
    return this.prefaceLeft === 0 && this.headerFill === 0 && this.payloadLeft === 0 && this.pending === undefined;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.broken) {
      if (this.prefaceLeft > 0) {
        const at = PREFACE.length - this.prefaceLeft;
        const take = Math.min(this.prefaceLeft, n - i);
        if (chunk.compare(PREFACE, at, at + take, i, i + take) !== 0) {
          this.broken = true;
          return;
        }
        this.prefaceLeft -= take;
        i += take;
        continue;
      }
      if (this.pending) {
        // Collecting the first payload bytes of a GOAWAY / RST_STREAM.
        const f = this.pending;
        const take = Math.min(f.head.length - this.headFill, n - i);
        chunk.copy(f.head, this.headFill, i, i + take);
        this.headFill += take;
        this.payloadLeft -= take;
        i += take;
        if (this.headFill === f.head.length) {
          this.pending = undefined;
          this.onFrame(f);
        }
        continue;
      }
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, n - i);
        this.payloadLeft -= take;
        i += take;
        continue;
      }
      const take = Math.min(9 - this.headerFill, n - i);
      chunk.copy(this.header, this.headerFill, i, i + take);
      this.headerFill += take;
      i += take;
      if (this.headerFill < 9) continue;
      this.headerFill = 0;
      const h = this.header;
      const length = h.readUIntBE(0, 3);
      const type = h[3];
      const f: Frame = { type, flags: h[4], streamId: h.readUInt32BE(5) & 0x7fffffff, length, head: EMPTY };
      this.payloadLeft = length;
      const want = Math.min(headBytes(type) || (this.wantHead?.(type, f.flags, f.streamId) ?? 0), length);
      if (want > 0) {
        f.head = Buffer.alloc(want);
        this.headFill = 0;
        this.pending = f;
      } else {
        this.onFrame(f);
      }
    }
  }
}

/** One frame: the 9-byte header, then `payload`. */
export function frameBytes(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(streamId & 0x7fffffff, 5);
  payload.copy(b, 9);
  return b;
}

/** A GOAWAY frame (stream 0): last stream ID, error code, debug data. */
export function goawayFrame(lastStreamId: number, errorCode: number, debug: string): Buffer {
  const p = Buffer.alloc(8 + Buffer.byteLength(debug, 'latin1'));
  p.writeUInt32BE(lastStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(errorCode >>> 0, 4);
  p.write(debug, 8, 'latin1');
  return frameBytes(FrameType.GOAWAY, 0, 0, p);
}

/** HTTP/2 error codes used here (RFC 9113 §7). */
export const H2Error = { NO_ERROR: 0x0, ENHANCE_YOUR_CALM: 0xb } as const;

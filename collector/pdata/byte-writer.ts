/**
 * The growable byte buffer under the hand-written JSON writers (OTLP/JSON for the file exporter,
 * X-Ray segment documents): they write straight into bytes because building text as strings
 * made thousands of small strings and ropes per batch.
 */
export class ByteWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Room for `n` more bytes (the buffer doubles, keeping what was written). */
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * Text known to be ASCII (field names, punctuation, digits). Copied byte by byte: the pieces
   * are short, and a native Buffer.write call per piece cost more than the copy itself.
   */
  protected ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes copied one by one, for the same reason: short pieces (escaped keys). */
  protected copy(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i]!;
    this.pos = p;
  }
}

/**
 * otlphttp's queued payload as bytes for a persistent sending queue (`sending_queue.storage`):
 * MessagePack `[parts, spans, refused?]` (msgpackr, as the queue's own records). The parts are
 * the encoded OTLP requests exactly as they will be sent (split to X-Ray's limits at enqueue), so
 * a batch restored after a restart goes out unchanged and is signed afresh at send time.
 */
import { Packr } from 'msgpackr';
import type { PayloadCodec } from '../exporterhelper/persistent-store.js';
import type { OtlpHttpPayload } from './http-sender.js';

const packr = new Packr({ useRecords: false });

type Stored = [Uint8Array[], number[]] | [Uint8Array[], number[], [number, string]];

export const otlpHttpPayloadCodec: PayloadCodec<OtlpHttpPayload> = {
  encode(p) {
    const v: Stored = p.refused ? [p.parts, p.spans, [p.refused.spans, p.refused.message]] : [p.parts, p.spans];
    return packr.pack(v);
  },
  decode(bytes) {
    const v = packr.unpack(bytes) as unknown;
    if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) throw new Error('not an otlphttp batch');
    const [parts, spans, refused] = v as [unknown, unknown, unknown];
    if (!Array.isArray(parts) || !parts.every((b) => b instanceof Uint8Array)) throw new Error('malformed otlphttp batch: parts');
    if (!Array.isArray(spans) || spans.length !== parts.length || !spans.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error('malformed otlphttp batch: span counts');
    }
    const out: OtlpHttpPayload = { parts: parts as Uint8Array[], spans: spans as number[] };
    if (refused !== undefined) {
      const r = refused as unknown[];
      if (!Array.isArray(r) || !Number.isInteger(r[0]) || typeof r[1] !== 'string') throw new Error('malformed otlphttp batch: refused');
      out.refused = { spans: r[0] as number, message: r[1] as string };
    }
    return out;
  },
};

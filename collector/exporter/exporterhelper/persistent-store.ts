/**
 * The on-disk half of a persistent sending queue (`sending_queue.storage`): one record per batch
 * in the exporter's storage client (file_storage: an LMDB file per exporter), written before the
 * batch is accepted and deleted once the destination acknowledged it (or it was dropped for good),
 * so after kill -9, an OOMKill or a restart every batch not yet acknowledged is sent again (at
 * least once). A remainder waiting for a retry (X-Ray's unprocessed segments) replaces its record,
 * so a restart does not resend what the destination already took.
 *
 * Record = MessagePack `[version, spans, bytes, payload]` (msgpackr, the encoder lmdb-js itself
 * uses): `payload` is the exporter's wire form (OTLP request bytes for otlp/otlphttp, the
 * exporter's own codec for awsxray). Keys are 16-digit sequence numbers, so key order is arrival
 * order and a restart resumes first-in first-out.
 */
import { Packr } from 'msgpackr';
import type { StorageClient } from '../../extension/storage/storage.js';

const RECORD_VERSION = 1;
// The payload comes back as a view into the record (no copy): records handed to decodeRecord
// are the caller's own bytes (StorageClient.get returns a copy).
const packr = new Packr({ useRecords: false });

/** How an exporter's queued payload becomes bytes on disk and back. */
export interface PayloadCodec<P> {
  encode(payload: P): Uint8Array;
  decode(bytes: Uint8Array): P;
}

export interface StoredBatch {
  key: string;
  spans: number;
  bytes: number;
}

/** Encodes a record (exported for the crash-safety tests, which forge damaged ones). */
export function encodeRecord(spans: number, bytes: number, payload: Uint8Array): Uint8Array {
  return packr.pack([RECORD_VERSION, spans, bytes, payload]);
}

/** Decodes a record; throws a specific message when it is not one of ours. */
export function decodeRecord(raw: Uint8Array): { spans: number; bytes: number; payload: Uint8Array } {
  let v: unknown;
  try {
    v = packr.unpack(raw);
  } catch (e) {
    throw new Error(`unreadable record (${(e as Error).message})`);
  }
  if (!Array.isArray(v) || v.length !== 4 || v[0] !== RECORD_VERSION) throw new Error('not a sending-queue record of this version');
  const [, spans, bytes, payload] = v as [number, unknown, unknown, unknown];
  if (!Number.isSafeInteger(spans) || (spans as number) < 0 || !Number.isSafeInteger(bytes) || !(payload instanceof Uint8Array)) {
    throw new Error('malformed sending-queue record');
  }
  return { spans: spans as number, bytes: bytes as number, payload };
}

export function recordKey(seq: number): string {
  return String(seq).padStart(16, '0');
}

export class PersistentStore<P> {
  private nextSeq = 1;

  constructor(
    readonly client: StorageClient,
    private readonly codec: PayloadCodec<P>,
  ) {}

  /**
   * Every stored batch in arrival order (only the header is kept in memory). Records that cannot
   * be read are deleted and reported through `onBad` with what is known of them.
   */
  async restore(onBad: (key: string, spans: number, problem: string) => void): Promise<StoredBatch[]> {
    const out: StoredBatch[] = [];
    const bad: string[] = [];
    for await (const { key, value } of this.client.entries()) {
      const seq = Number(key);
      if (Number.isSafeInteger(seq)) this.nextSeq = Math.max(this.nextSeq, seq + 1);
      try {
        const r = decodeRecord(value);
        out.push({ key, spans: r.spans, bytes: r.bytes });
      } catch (e) {
        bad.push(key);
        onBad(key, 0, (e as Error).message);
      }
    }
    if (bad.length > 0) await this.client.batch(bad.map((key) => ({ type: 'delete' as const, key })));
    return out;
  }

  /** Writes a new batch; resolves with its key once it is stored. */
  async append(payload: P, spans: number, bytes: number): Promise<string> {
    const key = recordKey(this.nextSeq++);
    await this.client.set(key, encodeRecord(spans, bytes, this.codec.encode(payload)));
    return key;
  }

  /** Replaces a batch by the part still to send. */
  async rewrite(key: string, payload: P, spans: number, bytes: number): Promise<void> {
    await this.client.set(key, encodeRecord(spans, bytes, this.codec.encode(payload)));
  }

  /** The payload of a stored batch; throws a specific message when it is gone or unreadable. */
  async load(key: string): Promise<P> {
    const raw = await this.client.get(key);
    if (raw === undefined) throw new Error(`record ${key} is missing from the storage`);
    const r = decodeRecord(raw);
    try {
      return this.codec.decode(r.payload);
    } catch (e) {
      throw new Error(`record ${key} holds a payload that cannot be decoded (${(e as Error).message})`);
    }
  }

  remove(key: string): Promise<void> {
    return this.client.delete(key);
  }
}

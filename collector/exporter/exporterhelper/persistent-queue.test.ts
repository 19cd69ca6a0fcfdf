/**
 * The persistent sending queue (`sending_queue.storage`) on a real file_storage extension (LMDB
 * in a temporary directory): what is accepted is on disk before consumeTraces resolves, survives
 * a stop and a new process object, is sent exactly once after it, and what was acknowledged is
 * gone. Failure paths (a write that fails, a damaged record) use an in-memory storage client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Extension, Host } from '../../component/component.js';
import { ConfigIssues } from '../../config/issues.js';
import { parseFileStorageConfig } from '../../extension/filestorageextension/config.js';
import { FileStorageExtension } from '../../extension/filestorageextension/extension.js';
import type { StorageClient, StorageExtension, StorageOperation } from '../../extension/storage/storage.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { DEFAULT_QUEUE, DEFAULT_RETRY, type QueueConfig, type RetryConfig } from './config.js';
import { RetryableError } from './errors.js';
import { encodeRecord } from './persistent-store.js';
import { createQueuedEncodedTracesExporter, createQueuedPreparedTracesExporter, createQueuedTracesExporter } from './queued-exporter.js';
import { makeTraces, metricSum, spanIds, testSettings, waitFor } from './testutil.js';

const fastRetry: RetryConfig = { ...DEFAULT_RETRY, initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedTimeMs: 0 };
const deadline = (ms: number) => AbortSignal.timeout(ms);
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function fileStorage(dir: string): Promise<{ host: Host; ext: FileStorageExtension }> {
  const issues = new ConfigIssues();
  const ext = new FileStorageExtension(parseFileStorageConfig({ directory: dir }, 'extensions.file_storage', issues), testSettings('file_storage'));
  await ext.start();
  stops.push(() => ext.shutdown(deadline(1000)));
  return { ext, host: hostWith({ file_storage: ext }) };
}

function hostWith(exts: Record<string, Extension>): Host {
  return { health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 }, getExtension: (id) => exts[id] };
}

const queue = (q: Partial<QueueConfig> = {}): QueueConfig => ({ ...DEFAULT_QUEUE, numConsumers: 2, storage: 'file_storage', ...q });

/** An encoded-mode (otlphttp-like) exporter whose backend is down until `up` is set. */
function encodedExporter(backend: { up: boolean; got: Uint8Array[] }, id = 'otlphttp') {
  const settings = testSettings(id);
  const exp = createQueuedEncodedTracesExporter(settings, queue(), fastRetry, encodeTraceRequest, async (payload) => {
    if (!backend.up) throw new RetryableError('backend down');
    backend.got.push(payload);
  }, { timeoutMs: 1000 });
  return { exp, m: settings.metrics };
}

describe('persistent sending queue on file_storage', () => {
  it('stored before accepted, kept (not dropped) at shutdown, sent exactly once by the next run, then gone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-pq-'));
    const backend = { up: false, got: [] as Uint8Array[] };
    const batches = [makeTraces(3), makeTraces(4), makeTraces(5)];

    const run1 = await fileStorage(dir);
    const a = encodedExporter(backend);
    await a.exp.start(run1.host);
    for (const td of batches) await a.exp.consumeTraces(td);
    expect(a.exp.stats().spans).toBe(12);
    await a.exp.shutdown(deadline(200)); // the backend never answered
    expect(await metricSum(a.m.spansDropped)).toBe(0);
    await run1.ext.shutdown(deadline(1000));

    backend.up = true;
    const run2 = await fileStorage(dir);
    const b = encodedExporter(backend);
    await b.exp.start(run2.host);
    expect(b.exp.stats()).toMatchObject({ batches: 3, spans: 12 });
    await waitFor(() => b.exp.stats().spans === 0, 5000, 'the restored batches sent');
    expect(backend.got.map((p) => spanIds(decodeTraceRequest(p))).sort()).toEqual(batches.map((td) => spanIds(td)).sort());
    expect(await metricSum(b.m.exporterSent)).toBe(12);
    await b.exp.shutdown(deadline(1000));
    await run2.ext.shutdown(deadline(1000));

    const run3 = await fileStorage(dir);
    const c = encodedExporter(backend);
    await c.exp.start(run3.host);
    expect(c.exp.stats().batches).toBe(0); // acknowledged batches were deleted
    await c.exp.shutdown(deadline(1000));
  });

  it('a partly accepted batch is stored as its remainder: the next run sends only what the destination did not take', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-pq-'));
    const codec = { encode: (p: string[]) => Buffer.from(JSON.stringify(p)), decode: (b: Uint8Array) => JSON.parse(Buffer.from(b).toString()) as string[] };
    const sent: string[][] = [];
    let mode: 'partial' | 'down' | 'up' = 'partial';
    const make = () => {
      const settings = testSettings('awsxray');
      const exp = createQueuedPreparedTracesExporter<string[]>(
        settings,
        queue({ numConsumers: 1 }),
        { ...fastRetry, initialIntervalMs: 50, maxIntervalMs: 50 },
        (td) => ({ payload: spanIds(td), spans: spanIds(td).length, bytes: 100 }),
        async (p) => {
          if (mode === 'down') throw new RetryableError('down');
          sent.push(p);
          if (mode === 'partial') {
            mode = 'down';
            throw new RetryableError('3 unprocessed', { retryPayload: { payload: p.slice(0, 3), spans: 3 } });
          }
        },
        { timeoutMs: 1000, codec },
      );
      return { exp, m: settings.metrics };
    };
    const run1 = await fileStorage(dir);
    const a = make();
    await a.exp.start(run1.host);
    const td = makeTraces(10);
    await a.exp.consumeTraces(td);
    await waitFor(() => sent.length === 1 && a.exp.stats().spans === 3, 5000, 'the partial answer');
    await new Promise((r) => setTimeout(r, 100)); // the remainder's record is rewritten meanwhile
    await a.exp.shutdown(deadline(100));
    expect(await metricSum(a.m.exporterSent)).toBe(7);
    await run1.ext.shutdown(deadline(1000));

    mode = 'up';
    const run2 = await fileStorage(dir);
    const b = make();
    await b.exp.start(run2.host);
    await waitFor(() => b.exp.stats().spans === 0, 5000, 'the remainder sent');
    expect(sent.at(-1)).toEqual(spanIds(td).slice(0, 3));
    expect(await metricSum(b.m.exporterSent)).toBe(3);
    await b.exp.shutdown(deadline(1000));
  });

  it('TraceData mode stores its batches as OTLP protobuf', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-pq-'));
    let up = false;
    const got: string[] = [];
    const make = () => createQueuedTracesExporter(testSettings('data'), queue(), fastRetry, async (td) => {
      if (!up) throw new RetryableError('down');
      got.push(...spanIds(td));
    }, { timeoutMs: 1000 });
    const run1 = await fileStorage(dir);
    const a = make();
    await a.start(run1.host);
    const td = makeTraces(6);
    await a.consumeTraces(td);
    await a.shutdown(deadline(100));
    await run1.ext.shutdown(deadline(1000));
    up = true;
    const run2 = await fileStorage(dir);
    const b = make();
    await b.start(run2.host);
    await waitFor(() => got.length === 6, 5000, 'restored spans');
    expect(got).toEqual(spanIds(td));
    await b.shutdown(deadline(1000));
  });
});

/** An in-memory storage client with failure injection. */
class MemoryClient implements StorageClient {
  readonly map = new Map<string, Uint8Array>();
  failWrites = false;
  async get(key: string) {
    return this.map.get(key);
  }
  async set(key: string, value: Uint8Array) {
    if (this.failWrites) throw new Error('file_storage: write failed: no space left on device (ENOSPC)');
    this.map.set(key, value);
  }
  async delete(key: string) {
    this.map.delete(key);
  }
  async batch(ops: readonly StorageOperation[]) {
    for (const op of ops) op.type === 'set' ? await this.set(op.key, op.value!) : await this.delete(op.key);
  }
  async *entries() {
    for (const key of [...this.map.keys()].sort()) yield { key, value: this.map.get(key)! };
  }
  async close() {}
}

function memoryStorage(client: MemoryClient): StorageExtension {
  return { start: async () => {}, shutdown: async () => {}, getClient: async () => client };
}

describe('persistent sending queue: failures', () => {
  it('a write that fails (disk full) refuses the batch retryably, holds nothing, and later writes succeed', async () => {
    const client = new MemoryClient();
    const backend = { up: false, got: [] as Uint8Array[] };
    const { exp } = encodedExporter(backend);
    await exp.start(hostWith({ file_storage: memoryStorage(client) }));
    stops.push(() => exp.shutdown(deadline(100)));
    client.failWrites = true;
    await expect(exp.consumeTraces(makeTraces(2))).rejects.toMatchObject({ retryable: true, reason: 'storage_unavailable', message: expect.stringMatching(/no space left on device/) });
    expect(exp.stats()).toEqual({ batches: 0, spans: 0, bytes: 0 });
    client.failWrites = false;
    await exp.consumeTraces(makeTraces(2));
    expect(client.map.size).toBe(1);
  });

  it('a record that cannot be read is removed and reported; the others are sent', async () => {
    const client = new MemoryClient();
    const good = makeTraces(2);
    client.map.set('0000000000000001', new Uint8Array([0xc1, 0xff, 0x00])); // not MessagePack
    client.map.set('0000000000000002', encodeRecord(2, 10, encodeTraceRequest(good)));
    client.map.set('0000000000000003', encodeRecord(9, 10, new Uint8Array([0xff, 0xff]))); // a payload that is not OTLP
    const backend = { up: true, got: [] as Uint8Array[] };
    const { exp, m } = encodedExporter(backend);
    await exp.start(hostWith({ file_storage: memoryStorage(client) }));
    stops.push(() => exp.shutdown(deadline(1000)));
    await waitFor(() => exp.stats().batches === 0, 5000, 'restored batches settled');
    expect(client.map.has('0000000000000001')).toBe(false);
    // The encoded payload is sent as stored (the destination judges the bytes).
    expect(backend.got.map((p) => Buffer.from(p).toString('hex'))).toContain(Buffer.from(encodeTraceRequest(good)).toString('hex'));
    expect(await metricSum(m.exporterSent)).toBe(11);
  });

  it('start fails clearly when storage names an extension that is not a storage extension', async () => {
    const { exp } = encodedExporter({ up: true, got: [] });
    const notStorage: Extension = { start: async () => {}, shutdown: async () => {} };
    await expect(exp.start(hostWith({ file_storage: notStorage }))).rejects.toThrow(/sending_queue\.storage: extension "file_storage" is not a storage extension/);
  });
});


/**
 * What a `storage` extension offers other components (after the OpenTelemetry Collector's
 * `extension/xextension/storage`): a key-value client per component, e.g. the exporters'
 * persistent sending queue (`sending_queue.storage: file_storage`). A component gets its client
 * in start() through Host.getExtension(id) and `getClient(kind, id, name)`; each client has its
 * own namespace (otelcol: one file per client).
 */
import type { ComponentKind, Extension } from '../../component/component.js';

export interface StorageOperation {
  type: 'set' | 'delete';
  key: string;
  /** For `set`. */
  value?: Uint8Array;
}

export interface StorageClient {
  /** The value, or undefined when absent. The returned bytes are the caller's. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Resolves once the write is durable as the extension promises (committed; fsync'd with `fsync`). */
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Several writes in one atomic transaction. */
  batch(ops: readonly StorageOperation[]): Promise<void>;
  /**
   * Every entry, lazily, in key order. A value is only valid until the next step of the
   * iteration: copy what must be kept.
   */
  entries(): AsyncIterable<{ key: string; value: Uint8Array }>;
  close(): Promise<void>;
}

export interface StorageExtension extends Extension {
  /**
   * The client of one component: `kind` and `id` (e.g. `exporter`, `otlphttp/backend`) and a
   * `name` inside it (the signal for a sending queue: `traces`).
   */
  getClient(kind: ComponentKind, id: string, name: string): Promise<StorageClient>;
}

export function isStorageExtension(ext: Extension | undefined): ext is StorageExtension {
  return ext !== undefined && typeof (ext as Partial<StorageExtension>).getClient === 'function';
}

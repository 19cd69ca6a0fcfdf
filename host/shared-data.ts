/**
 * Proxy-wasm shared data as one Envoy process keeps it (proxy-wasm-cpp-host src/shared_data.cc):
 * one key/value map per vm_id, shared by every VM of that vm_id in the process — Envoy runs one
 * VM per worker thread, and the inbound and outbound listeners of a sidecar use the same ones.
 * Each write gets a new CAS token from one process-wide counter that skips 0; a write with a
 * non-zero CAS fails with CAS_MISMATCH unless the key's current token matches (a write with a
 * token to a key that does not exist succeeds). Nothing expires and nothing is ever removed
 * (ABI 0.2.1 has no delete).
 *
 * Pass one SharedDataStore to several ProxyWasmHost instances to emulate several worker
 * threads, or the inbound and outbound side of one sidecar.
 */
export interface SharedDataEntry { value: Buffer; cas: number }

export type SharedDataSetResult = 'ok' | 'cas_mismatch';

export class SharedDataStore {
  private readonly byVmId = new Map<string, Map<string, SharedDataEntry>>();
  private nextCas = 1;

  /** The entries of one vm_id (created empty on first use). Keys are the bytes as text (latin1). */
  entries(vmId: string): Map<string, SharedDataEntry> {
    let map = this.byVmId.get(vmId);
    if (!map) {
      map = new Map();
      this.byVmId.set(vmId, map);
    }
    return map;
  }

  get(vmId: string, key: string): SharedDataEntry | undefined {
    return this.byVmId.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): SharedDataSetResult {
    const map = this.entries(vmId);
    const entry = map.get(key);
    if (entry && cas !== 0 && cas >>> 0 !== entry.cas) return 'cas_mismatch';
    map.set(key, { value: Buffer.from(value), cas: this.takeCas() });
    return 'ok';
  }

  /** Total bytes held for a vm_id (keys + values), to check that a filter keeps it bounded. */
  byteSize(vmId: string): number {
    let n = 0;
    for (const [k, e] of this.entries(vmId)) n += Buffer.byteLength(k, 'latin1') + e.value.length;
    return n;
  }

  private takeCas(): number {
    const cas = this.nextCas;
    this.nextCas = (this.nextCas + 1) >>> 0;
    if (this.nextCas === 0) this.nextCas = 1;
    return cas;
  }
}

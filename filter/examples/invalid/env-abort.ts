// Deliberately wrong module: compiled WITHOUT `--use abort=...`, so AssemblyScript imports
// env.abort, which Envoy does not provide. The host must refuse it (test/abi).
export function proxy_abi_version_0_2_1(): void {}
export function malloc(size: usize): usize { return heap.alloc(size); }
export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  const a = new Array<u32>(1);
  return a[numHeaders]; // bounds check -> env.abort
}

// Deliberately wrong module: Math.random pulls in env.seed, which Envoy does not provide.
export function proxy_abi_version_0_2_1(): void {}
export function malloc(size: usize): usize { return heap.alloc(size); }
export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  return <u32>(Math.random() * 2);
}

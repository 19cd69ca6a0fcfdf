// Deliberately wrong module: no proxy_abi_version_* export. Envoy refuses it.
export function malloc(size: usize): usize { return heap.alloc(size); }
export function proxy_on_context_create(contextId: u32, parentId: u32): void {}

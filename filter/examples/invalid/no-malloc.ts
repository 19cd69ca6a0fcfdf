// Deliberately wrong module: the ABI marker but no malloc / proxy_on_memory_allocate.
export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_context_create(contextId: u32, parentId: u32): void {}

/**
 * What the process's memory looks like, read cheaply enough to do it for every request: the
 * container limit (cgroup memory.max through libuv), V8's heap limit, live memory (heap used +
 * external buffers), and a way to force a garbage collection.
 */
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface SystemMemory {
  /** Container limit (cgroup) or physical memory, bytes. */
  containerLimitBytes: number;
  /** Where containerLimitBytes came from. */
  containerLimitSource: 'cgroup' | 'physical memory';
  /** V8 heap_size_limit, bytes. */
  heapLimitBytes: number;
}

export function systemMemory(): SystemMemory {
  const physical = os.totalmem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  // libuv reports "no limit" as 0 or as a huge number (2^64 on cgroup v1 without a limit).
  const limited = constrained > 0 && constrained < physical;
  return {
    containerLimitBytes: limited ? constrained : physical,
    containerLimitSource: limited ? 'cgroup' : 'physical memory',
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
  };
}

/** V8 heap in use plus external buffers (request bodies, encoded batches): ~1 µs to read. */
export function liveMemoryBytes(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

let gcFunction: (() => void) | undefined | null = null;

/**
 * A function that forces a full garbage collection, as the Collector's memory limiter calls
 * runtime.GC(). Node exposes `gc` only with --expose-gc; setting the flag at run time and reading
 * `gc` from a fresh context is the documented V8 way to get it afterwards. Undefined if that fails.
 */
export function garbageCollector(): (() => void) | undefined {
  if (gcFunction !== null) return gcFunction;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    gcFunction = typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    gcFunction = undefined;
  }
  return gcFunction;
}

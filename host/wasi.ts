/**
 * The WASI functions Envoy gives a proxy-wasm module (proxy-wasm-cpp-host exports.h
 * FOR_ALL_WASI_FUNCTIONS): randomness, clocks, stdout/stderr into Envoy's log, the VM's
 * environment; no file system (ENOSYS / EBADF), and proc_exit ends the callback like a trap.
 */
import { randomFillSync } from 'node:crypto';
import type { ModuleMemory } from './module-memory.js';

const ENOSYS = 52;
const EBADF = 8;
const EFAULT = 21;

/** Thrown by WASI proc_exit: ends the current callback like a trap. */
export class ProcExit extends Error {}

export interface WasiEnvironment {
  memory: () => ModuleMemory;
  env: Record<string, string>;
  now: () => bigint;
  randomFill?: (buf: Uint8Array) => void;
  /** fd 1 (stdout) is Envoy's info log, fd 2 (stderr) its error log. */
  log: (level: 'info' | 'error', message: string) => void;
}

const te = new TextEncoder();

export function wasiFunctions(w: WasiEnvironment): Record<string, (...a: any[]) => number | void> {
  const envEntries = () => Object.entries(w.env).map(([k, v]) => te.encode(`${k}=${v}\0`));
  return {
    random_get: (ptr: number, len: number) => {
      ptr >>>= 0; len >>>= 0;
      const m = w.memory();
      if (!m.inBounds(ptr, len)) return EFAULT;
      (w.randomFill ?? randomFillSync)(m.u8().subarray(ptr, ptr + len));
      m.stats.bytesToModule += len;
      return 0;
    },
    clock_time_get: (_id: number, _precision: bigint, resultPtr: number) => (w.memory().writeU64(resultPtr, w.now()) ? 0 : EFAULT),
    fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
      if (fd !== 1 && fd !== 2) return EBADF;
      const m = w.memory();
      let text = '';
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        if (!m.inBounds(iovs + i * 8, 8)) return EFAULT;
        const p = m.dataView().getUint32(iovs + i * 8, true);
        const l = m.dataView().getUint32(iovs + i * 8 + 4, true);
        const chunk = m.read(p, l);
        if (!chunk) return EFAULT;
        text += chunk.toString('utf8');
        total += l;
      }
      w.log(fd === 1 ? 'info' : 'error', text.replace(/\n$/, ''));
      return m.writeU32(nwrittenPtr, total) ? 0 : EFAULT;
    },
    environ_sizes_get: (countPtr: number, sizePtr: number) => {
      const env = envEntries();
      const m = w.memory();
      return m.writeU32(countPtr, env.length) && m.writeU32(sizePtr, env.reduce((n, e) => n + e.length, 0)) ? 0 : EFAULT;
    },
    environ_get: (environPtr: number, bufPtr: number) => {
      const m = w.memory();
      let p = bufPtr >>> 0;
      let i = 0;
      for (const e of envEntries()) {
        if (!m.inBounds(p, e.length) || !m.writeU32(environPtr + i * 4, p)) return EFAULT;
        m.u8().set(e, p);
        p += e.length; i++;
      }
      return 0;
    },
    args_sizes_get: (countPtr: number, sizePtr: number) => (w.memory().writeU32(countPtr, 0) && w.memory().writeU32(sizePtr, 0) ? 0 : EFAULT),
    args_get: () => 0,
    proc_exit: (code: number) => { throw new ProcExit(`proc_exit(${code})`); },
    fd_prestat_get: () => EBADF, // no preopened directories
    fd_prestat_dir_name: () => EBADF,
  };
}

/** What Envoy answers for a WASI function it lists but does not implement for modules. */
export const wasiUnsupported = (): number => ENOSYS;

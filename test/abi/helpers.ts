/** Shared helpers for the ABI tests: paths of the built modules and a tiny wasm assembler. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FILTER_WASM = resolve(ROOT, 'build/meshtrace-filter.wasm');
export const EMPTY_WASM = resolve(ROOT, 'build/empty-filter.wasm');
export const PROBE_WASM = resolve(ROOT, 'build/probe-filter.wasm');
export const API_CHECK_WASM = resolve(ROOT, 'build/api-check.wasm');
export const LEAKY_WASM = resolve(ROOT, 'build/leaky-filter.wasm');
export const INVALID = (name: string) => resolve(ROOT, `build/invalid/${name}.wasm`);

/** Reads a built module, failing with the command that builds it. */
export function built(path: string): Buffer {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:filter\` first`);
  return readFileSync(path);
}

type VT = 'i32' | 'i64';
const vt = (t: VT) => (t === 'i32' ? 0x7f : 0x7e);
const leb = (n: number): number[] => { const out: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
const str = (s: string) => { const b = [...Buffer.from(s)]; return [...leb(b.length), ...b]; };
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];

export interface FuncSpec { params: VT[]; results: VT[] }

/**
 * Assembles a minimal module: function imports, exported functions with empty bodies (results
 * filled with zero constants) and one exported memory. Enough to build modules Envoy must refuse.
 */
export function assemble(spec: { imports?: Array<{ module: string; name: string } & FuncSpec>; exports: Array<{ name: string } & FuncSpec> }): Uint8Array {
  const imports = spec.imports ?? [];
  const types = [...imports, ...spec.exports].map((f) => [0x60, ...vec(f.params.map((p) => [vt(p)])), ...vec(f.results.map((r) => [vt(r)]))]);
  const importBody = vec(imports.map((f, i) => [...str(f.module), ...str(f.name), 0x00, ...leb(i)]));
  const funcBody = vec(spec.exports.map((_, i) => leb(imports.length + i)));
  const memBody = vec([[0x00, 0x01]]);
  const exportBody = vec([
    ...spec.exports.map((f, i) => [...str(f.name), 0x00, ...leb(imports.length + i)]),
    [...str('memory'), 0x02, 0x00],
  ]);
  const codeBody = vec(spec.exports.map((f) => {
    const body = [0x00, ...f.results.flatMap((r) => (r === 'i32' ? [0x41, 0x00] : [0x42, 0x00])), 0x0b];
    return [...leb(body.length), ...body];
  }));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...(imports.length ? section(2, importBody) : []),
    ...section(3, funcBody),
    ...section(5, memBody),
    ...section(7, exportBody),
    ...section(10, codeBody),
  ]);
}

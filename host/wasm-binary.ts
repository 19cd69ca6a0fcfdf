/**
 * Reads a module's imports and exports WITH their function signatures from the binary (the
 * JS WebAssembly API reports kinds but not types). Only the type, import, function and export
 * sections are decoded; anything else is skipped.
 */
import type { Signature, ValType } from './envoy-abi.js';

export interface ImportEntry { module: string; name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; signature?: Signature }
export interface ExportEntry { name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; signature?: Signature }
export interface ModuleInterface { imports: ImportEntry[]; exports: ExportEntry[] }

const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;
const VALTYPES: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };

export class WasmParseError extends Error {}

export function readModuleInterface(bytes: Uint8Array): ModuleInterface {
  let pos = 0;
  const fail = (what: string): never => { throw new WasmParseError(`Failed to parse corrupted Wasm module (${what} at byte ${pos})`); };
  const byte = (): number => (pos < bytes.length ? bytes[pos++]! : fail('unexpected end'));
  const u32 = (): number => {
    let result = 0; let shift = 0; let b: number;
    do { b = byte(); result |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80 && shift < 35);
    return result >>> 0;
  };
  const name = (): string => { const n = u32(); if (pos + n > bytes.length) fail('name'); const s = Buffer.from(bytes.subarray(pos, pos + n)).toString('utf8'); pos += n; return s; };
  const skipLimits = () => { const flags = byte(); u32(); if (flags & 1) u32(); };

  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) fail('magic');
  pos = 8;
  const types: Signature[] = [];
  const funcTypeOfImport: number[] = [];
  const funcTypes: number[] = [];
  const imports: ImportEntry[] = [];
  const exports: ExportEntry[] = [];
  const rawExports: Array<{ name: string; kind: number; index: number }> = [];
  while (pos < bytes.length) {
    const id = byte();
    const size = u32();
    const end = pos + size;
    if (end > bytes.length) fail('section size');
    if (id === 1) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        if (byte() !== 0x60) fail('func type');
        const params = Array.from({ length: u32() }, () => VALTYPES[byte()] ?? 'i32');
        const results = Array.from({ length: u32() }, () => VALTYPES[byte()] ?? 'i32');
        types.push({ params, results });
      }
    } else if (id === 2) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        const module = name(); const field = name(); const kind = byte();
        const entry: ImportEntry = { module, name: field, kind: KINDS[kind] ?? fail('import kind') };
        if (kind === 0) { const t = u32(); funcTypeOfImport.push(t); entry.signature = types[t]; }
        else if (kind === 1) { byte(); skipLimits(); }
        else if (kind === 2) skipLimits();
        else if (kind === 3) { byte(); byte(); }
        else if (kind === 4) { byte(); u32(); }
        imports.push(entry);
      }
    } else if (id === 3) {
      const n = u32();
      for (let i = 0; i < n; i++) funcTypes.push(u32());
    } else if (id === 7) {
      const n = u32();
      for (let i = 0; i < n; i++) { const nm = name(); const kind = byte(); rawExports.push({ name: nm, kind, index: u32() }); }
    }
    pos = end;
  }
  for (const e of rawExports) {
    const entry: ExportEntry = { name: e.name, kind: KINDS[e.kind] ?? 'function' };
    if (e.kind === 0) {
      const t = e.index < funcTypeOfImport.length ? funcTypeOfImport[e.index] : funcTypes[e.index - funcTypeOfImport.length];
      if (t !== undefined) entry.signature = types[t];
    }
    exports.push(entry);
  }
  return { imports, exports };
}

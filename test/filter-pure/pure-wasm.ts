// Loads build/filter-pure.wasm (npm run build:filter-test) with @assemblyscript/loader
// and wraps the harness exports so tests pass and get plain JS values.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instantiate } from '@assemblyscript/loader';

const wasmPath = fileURLToPath(new URL('../../build/filter-pure.wasm', import.meta.url));

export const FORMAT = { tracecontext: 1, b3: 2, b3multi: 4 } as const;
export const HEADER_NAMES = [
  'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags',
] as const;
export type ContextHeaderName = (typeof HEADER_NAMES)[number];
export type ContextHeaders = Partial<Record<ContextHeaderName, string>>;

export interface ParsedContextView {
  status: 'absent' | 'valid' | 'sampling-only' | 'invalid';
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  sampling: 'defer' | 'deny' | 'accept' | 'debug';
  flags: number;
  canonical: boolean;
}

export interface Decision {
  /** header → new value (string) or null (remove); headers not listed are kept as they arrived. */
  edits: Partial<Record<ContextHeaderName, string | null>>;
  invalid: number;
  converted: boolean;
  authority: number;
  changes: boolean;
  /** an explicit B3 deny overrode the authority's sampling decision */
  denied: boolean;
}

export interface ConfigView {
  config: null | {
    direction: number; gateway: boolean; propagation: number; generateRequestId: boolean;
    responseRequestId: boolean; kindHeader: string; directionHeader: string;
    heal: boolean; healSlots: number; healTtlSeconds: number; healedHeader: string; healedTraceHeader: string;
  };
  error: string | null;
  warning: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Exports = any;

export interface PureWasm {
  parseTraceparent(v: string | null): ParsedContextView;
  parseB3(v: string | null): ParsedContextView;
  parseB3Multi(t: string | null, s: string | null, p: string | null, sampled: string | null, flags: string | null): ParsedContextView;
  /** Several tracestate headers: separate them with "\n". */
  tracestate(v: string | null): 'absent' | 'valid' | 'invalid';
  /** The list forwarded when keys repeat (first member of each key), or the status. */
  tracestateWithoutRepeats(v: string): string;
  /** A value with "\n" is several headers of that name, in order. */
  decide(headers: ContextHeaders, formats: number): Decision;
  decideRepeat(n: number, traceparent: string | null, b3: string | null, formats: number): void;
  uuid(hex: string): string;
  parseConfig(text: string): ConfigView;
  direction(o: {
    xds?: bigint; old?: bigint; xdsCluster?: string | null; oldCluster?: string | null; node?: string | null;
    configDirection?: number; gateway?: boolean;
  }): { direction: string; kind: string; source: string };
  memoryBytes(): number;
  /** The healing key of an x-request-id (32 hex digits), or '' when it is not a UUID. */
  healKey(id: string): string;
  healSlot(id: string, slots: number): number;
  healEntry(o: { traceparentOrB3: string; tracestate?: string | null; timeMs: bigint; id: string; lookupId?: string; corruptAt?: number; alias?: string }): HealEntryView;
  /** Whether a healed-trace alias header value is well-formed (32 lower-hex digits, not all zero). */
  healAliasValid(v: string): boolean;
}

export interface HealEntryView { status: 'ok' | 'other-key' | 'corrupt'; length: number; context?: ParsedContextView; format?: number; timeMs?: number; tracestate?: string; alias?: string }

export async function loadPureWasm(): Promise<PureWasm> {
  const { exports } = await instantiate<Exports>(readFileSync(wasmPath), {});
  const e = exports as Exports;

  // Strings passed in are pinned while the call runs: the incremental GC may run during any allocation.
  function call(fn: (...a: unknown[]) => number, args: Array<string | null | number | bigint | boolean>): string {
    const pinned: number[] = [];
    const raw = args.map((a) => {
      if (typeof a === 'string') {
        const ptr = e.__pin(e.__newString(a));
        pinned.push(ptr);
        return ptr;
      }
      if (a === null) return 0;
      if (typeof a === 'boolean') return a ? 1 : 0;
      return a;
    });
    try {
      const out = fn(...raw);
      return e.__getString(out);
    } finally {
      for (const p of pinned) e.__unpin(p);
    }
  }
  const json = <T>(fn: (...a: unknown[]) => number, args: Array<string | null | number | bigint | boolean>): T =>
    JSON.parse(call(fn, args)) as T;

  return {
    parseTraceparent: (v) => json(e.tcParseTraceparent, [v]),
    parseB3: (v) => json(e.tcParseB3, [v]),
    parseB3Multi: (t, s, p, sampled, flags) => json(e.tcParseB3Multi, [t, s, p, sampled, flags]),
    tracestate: (v) => call(e.tcTracestate, [v]) as 'absent' | 'valid' | 'invalid',
    tracestateWithoutRepeats: (v) => call(e.tcTracestateWithoutRepeats, [v]),
    decide: (h, formats) => json(e.tcDecide, [...HEADER_NAMES.map((n) => h[n] ?? null), formats]),
    decideRepeat: (n, tp, b3, formats) => {
      const pinned: number[] = [];
      const s = (v: string | null) => (v === null ? 0 : (pinned.push(e.__pin(e.__newString(v))), pinned[pinned.length - 1]));
      try {
        e.tcDecideRepeat(n, s(tp), s(b3), formats);
      } finally {
        for (const p of pinned) e.__unpin(p);
      }
    },
    uuid: (hex) => call(e.tcUuid, [hex]),
    parseConfig: (text) => json(e.cfgParse, [text]),
    direction: (o) => json(e.dirDecide, [
      o.xds ?? -1n, o.old ?? -1n, o.xdsCluster ?? null, o.oldCluster ?? null, o.node ?? null,
      o.configDirection ?? 0, o.gateway ?? false,
    ]),
    memoryBytes: () => (e.memory as { buffer: ArrayBuffer }).buffer.byteLength,
    healKey: (id) => call(e.healKey, [id]),
    healSlot: (id, slots) => e.healSlot(...[id].map((v) => e.__pin(e.__newString(v))), slots) as number,
    healEntry: (o) => json(e.healEntry, [o.traceparentOrB3, o.tracestate ?? null, o.timeMs, o.id, o.lookupId ?? o.id, o.corruptAt ?? -1, o.alias ?? '']),
    healAliasValid: (v) => {
      const p = e.__pin(e.__newString(v));
      try {
        return e.healAliasValid(p) !== 0;
      } finally {
        e.__unpin(p);
      }
    },
  };
}

/** Applies a decision to the arrived headers: what the filter would forward. */
export function applyDecision(arrived: ContextHeaders, d: Decision): ContextHeaders {
  const out: ContextHeaders = { ...arrived };
  for (const [name, value] of Object.entries(d.edits) as Array<[ContextHeaderName, string | null]>) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out;
}

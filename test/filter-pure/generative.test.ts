// Generative check: thousands of random and malformed header sets through the real wasm.
// No call may trap, and whatever would be forwarded must be valid, complete and agreeing.
import { beforeAll, describe, expect, test } from 'vitest';
import { applyDecision, HEADER_NAMES, loadPureWasm, type ContextHeaders, type PureWasm } from './pure-wasm.js';
import { forwardedProblems } from './agreement.js';
import { seededRng as rng } from '../seeded-rng.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

type R = ReturnType<typeof rng>;

const hex = (r: R, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');
const ALPHABET = 'abcdefABCDEF0123456789-=,; \t@*/_.xyz\u00e9\u4e2d\ud83d\ude00\u0000\n';
const junk = (r: R, max: number) => Array.from({ length: r.int(max) }, () => ALPHABET[r.int(ALPHABET.length)]).join('');

function mutate(r: R, s: string): string {
  switch (r.int(8)) {
    case 0: return s.toUpperCase();
    case 1: return s.slice(0, r.int(s.length + 1));
    case 2: return s + junk(r, 4);
    case 3: { const i = r.int(s.length + 1); return s.slice(0, i) + junk(r, 2) + s.slice(i + 1); }
    case 4: return s.replace(/[1-9a-f]/g, '0');
    case 5: return `${s},${s}`; // duplicated header joined
    case 6: return ' ' + s + '\t';
    default: return s;
  }
}

const traceId = (r: R) => (r.int(4) === 0 ? hex(r, 16) : hex(r, 32));
function value(r: R, name: string, t: string, s: string): string {
  const p = hex(r, 16);
  const sampled = r.pick(['0', '1', 'true', 'false', 'd', '']);
  switch (name) {
    case 'traceparent': return `${r.pick(['00', '00', '01', 'cc', 'ff'])}-${t.padStart(32, '0')}-${s}-${r.pick(['00', '01', '02', '03', 'ff', '09'])}${r.int(5) === 0 ? '-ext' : ''}`;
    case 'tracestate': return Array.from({ length: r.int(40) }, (_, i) => r.int(10) === 0 ? '' : `k${i}${r.pick(['', '@v'])}=${junk(r, 6) || 'v'}`).join(r.pick([',', ' , ', ',\t']));
    case 'b3': return r.pick(['0', '1', 'd', `${t}-${s}`, `${t}-${s}-${sampled}`, `${t}-${s}-${sampled}-${p}`]);
    case 'x-b3-traceid': return t;
    case 'x-b3-spanid': return s;
    case 'x-b3-parentspanid': return p;
    case 'x-b3-sampled': return sampled;
    case 'x-b3-flags': return r.pick(['0', '1', '2']);
  }
  return '';
}

function headerSet(r: R): ContextHeaders {
  // IDs shared by several headers half of the time, so agreement paths are exercised
  const t = traceId(r);
  const s = hex(r, 16);
  const h: ContextHeaders = {};
  for (const name of HEADER_NAMES) {
    const roll = r.next();
    if (roll < 0.45) continue;
    const shared = r.next() < 0.5;
    let v = value(r, name, shared ? t : traceId(r), shared ? s : hex(r, 16));
    if (r.next() < 0.3) v = mutate(r, v);
    if (r.next() < 0.05) v = junk(r, 80);
    if (r.next() < 0.01) v = 'x'.repeat(8192 + r.int(8192));
    h[name] = v;
  }
  return h;
}

describe('generative: random and malformed context headers', () => {
  test('10000 header sets: no trap, forwarded headers valid and agreeing, idempotent', () => {
    const seed = 0x5eed;
    const r = rng(seed);
    let withContext = 0;
    let invalidSeen = 0;
    let converted = 0;
    for (let i = 0; i < 10_000; i++) {
      const headers = headerSet(r);
      const formats = r.int(8);
      const d = w.decide(headers, formats);
      if (d.authority !== 0) withContext++;
      if (d.invalid !== 0) invalidSeen++;
      if (d.converted) converted++;
      const fwd = applyDecision(headers, d);
      const problems = forwardedProblems(w, fwd, formats, d.authority !== 0);
      if (problems.length > 0) {
        throw new Error(`case ${i} (seed ${seed}): ${problems.join('; ')}\nin: ${JSON.stringify(headers)}\nformats ${formats}\nout: ${JSON.stringify(fwd)}`);
      }
      const again = w.decide(fwd, formats);
      if (Object.keys(again.edits).length > 0 || again.invalid !== 0) {
        throw new Error(`case ${i}: not idempotent\nin: ${JSON.stringify(headers)}\nout: ${JSON.stringify(fwd)}\nagain: ${JSON.stringify(again)}`);
      }
    }
    // the generator really exercised the interesting paths
    expect(withContext).toBeGreaterThan(2000);
    expect(invalidSeen).toBeGreaterThan(2000);
    expect(converted).toBeGreaterThan(1000);
  });

  test('parsers never trap on arbitrary strings', () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) {
      const s = junk(r, 120);
      expect(['absent', 'valid', 'invalid']).toContain(w.tracestate(s));
      expect(w.parseTraceparent(s).status).toMatch(/^(valid|invalid)$/);
      expect(w.parseB3(s).status).toMatch(/^(valid|invalid|sampling-only)$/);
      expect(w.parseB3Multi(s, junk(r, 20), null, r.pick(['1', s]), null).status).toMatch(/^(valid|invalid|sampling-only)$/);
      const c = w.parseConfig(r.next() < 0.5 ? s : `{"direction":${JSON.stringify(s)},"propagation":[${JSON.stringify(s)}]}`);
      expect(c.config === null ? typeof c.error : 'ok').toMatch(/^(string|ok)$/);
    }
  });

  test('memory stays flat over repeated decisions (allocations are reclaimed)', () => {
    const tp = `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01`;
    w.decideRepeat(20_000, tp, null, 7); // warm up: let the heap reach its working size
    const before = w.memoryBytes();
    w.decideRepeat(200_000, tp, null, 7);
    expect(w.memoryBytes()).toBe(before);
  });
});

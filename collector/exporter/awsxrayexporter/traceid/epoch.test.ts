import { describe, expect, it } from 'vitest';
import { hex } from '../testdata/build.js';
import {
  MAX_EPOCH_AGE_SEC,
  MAX_EPOCH_SKEW_SEC,
  deterministicEpoch,
  embeddedEpoch,
  formatXrayTraceId,
  isAcceptableEpoch,
  needsRewrite,
  normalizeTraceId,
  traceIdHash,
  windowEpoch,
} from './epoch.js';

const NOW = 1_795_000_000;
const T = hex('4bf92f3577b34da6a3ce929d0e0e4736');

describe('isAcceptableEpoch: strictly inside (now − 28 days, now + 5 min)', () => {
  it.each([
    ['now', NOW, true],
    ['one second old', NOW - 1, true],
    ['just inside 28 days', NOW - MAX_EPOCH_AGE_SEC + 1, true],
    ['exactly 28 days old', NOW - MAX_EPOCH_AGE_SEC, false],
    ['older than 28 days', NOW - MAX_EPOCH_AGE_SEC - 1, false],
    ['just inside the 5 minute skew', NOW + MAX_EPOCH_SKEW_SEC - 1, true],
    ['exactly 5 minutes ahead', NOW + MAX_EPOCH_SKEW_SEC, false],
    ['far future (random W3C bits)', 0x71f86e63, false],
    ['zero (padded 64-bit IDs)', 0, false],
  ])('%s', (_n, epoch, ok) => {
    expect(isAcceptableEpoch(epoch, NOW)).toBe(ok);
  });
});

describe('normalizeTraceId', () => {
  it.each([
    ['16 bytes unchanged', '4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['8 bytes padded with leading zeros', 'a3ce929d0e0e4736', '0000000000000000a3ce929d0e0e4736'],
    ['all zero', '00000000000000000000000000000000', undefined],
    ['8 zero bytes', '0000000000000000', undefined],
    ['12 bytes', '4bf92f3577b34da6a3ce929d', undefined],
    ['empty', '', undefined],
  ])('%s', (_n, input, want) => {
    const out = normalizeTraceId(hex(input));
    expect(out ? Buffer.from(out).toString('hex') : undefined).toBe(want);
  });
});

describe('formatXrayTraceId / embeddedEpoch', () => {
  it('replaces the first 32 bits and keeps the other 96', () => {
    expect(formatXrayTraceId(0x58406520, T)).toBe('1-58406520-77b34da6a3ce929d0e0e4736');
    expect(embeddedEpoch(hex('58406520000000000000000000000001'))).toBe(0x58406520);
    expect(embeddedEpoch(hex('ffffffff000000000000000000000001'))).toBe(0xffffffff);
    expect(formatXrayTraceId(1, T)).toMatch(/^1-00000001-[0-9a-f]{24}$/);
  });
});

describe('windowEpoch: a per-trace offset inside fixed windows', () => {
  const W = 3600;
  const offset = traceIdHash(T) % W;
  const boundary = 1_794_999_600 + offset; // some window start of this trace (≡ offset mod W)

  it('the epoch is the start of the trace’s own window', () => {
    expect((boundary - offset) % W).toBe(0);
    expect(windowEpoch(T, boundary, W)).toBe(boundary);
    expect(windowEpoch(T, boundary + 0.5, W)).toBe(boundary);
    expect(windowEpoch(T, boundary + W - 1, W)).toBe(boundary);
    expect(windowEpoch(T, boundary + W - 0.001, W)).toBe(boundary);
  });

  it('IDs at the window edges: one second before the boundary is the previous window', () => {
    expect(windowEpoch(T, boundary - 1, W)).toBe(boundary - W);
    expect(windowEpoch(T, boundary - 0.001, W)).toBe(boundary - W);
    expect(windowEpoch(T, boundary + W, W)).toBe(boundary + W);
  });

  it('two spans of one trace agree unless the trace straddles its boundary', () => {
    expect(windowEpoch(T, boundary + 10, W)).toBe(windowEpoch(T, boundary + 20, W));
    expect(windowEpoch(T, boundary - 5, W)).not.toBe(windowEpoch(T, boundary + 5, W));
  });

  it('different traces have different boundaries (offsets spread over the window)', () => {
    const offsets = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const id = new Uint8Array(16);
      new DataView(id.buffer).setUint32(12, i * 2654435761);
      offsets.add(traceIdHash(id) % W);
    }
    expect(offsets.size).toBeGreaterThan(190);
  });

  it('the disagreement rate for traces of duration d is d / W (measured over many traces)', () => {
    // Empirical check of the documented probability: random IDs, random start, duration 36 s.
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const d = 36;
    const n = 20_000;
    let disagree = 0;
    for (let i = 0; i < n; i++) {
      const id = new Uint8Array(16);
      for (let b = 0; b < 16; b++) id[b] = Math.floor(rnd() * 256);
      const start = NOW - rnd() * 86400;
      if (windowEpoch(id, start, W) !== windowEpoch(id, start + d, W)) disagree++;
    }
    const rate = disagree / n;
    expect(rate).toBeGreaterThan((d / W) * 0.6);
    expect(rate).toBeLessThan((d / W) * 1.4);
  });
});

describe('deterministicEpoch', () => {
  it('is always acceptable, even for absurd start times', () => {
    for (const start of [0, 1, NOW - 40 * 86400, NOW + 86400, NOW, NOW - 100]) {
      expect(isAcceptableEpoch(deterministicEpoch(T, start, NOW, 3600), NOW)).toBe(true);
    }
  });

  it('uses the span start when it is plausible, the clock when not', () => {
    expect(deterministicEpoch(T, NOW - 100, NOW, 3600)).toBe(windowEpoch(T, NOW - 100, 3600));
    expect(deterministicEpoch(T, 0, NOW, 3600)).toBe(windowEpoch(T, NOW, 3600));
  });
});

describe('needsRewrite', () => {
  it.each([
    ['rewrite, random ID', 'rewrite', '71f86e637c9ad592296688596eea6ee8', true],
    ['rewrite, plausible epoch', 'rewrite', (NOW - 10).toString(16) + '7c9ad592296688596eea6ee8', false],
    ['passthrough, random ID', 'passthrough', '71f86e637c9ad592296688596eea6ee8', false],
    ['rewrite, padded 64-bit', 'rewrite', '00000000000000007c9ad592296688ff', true],
  ] as const)('%s', (_n, mode, id, want) => {
    expect(needsRewrite(mode, hex(id), NOW)).toBe(want);
  });
});

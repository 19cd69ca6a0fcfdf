/**
 * The pure parts of healing (filter/heal/request-id.ts, entry.ts): the key a request is filed
 * under (its UUID x-request-id without the version nibble Envoy uses for its trace decision), the
 * slot, and the shared-data entry written and read back — or refused when it is not one.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { loadPureWasm, type PureWasm } from './pure-wasm.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const ID = 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6';
const KEY = 'f81d4fae7dec01d0a76500a0c91e6bf6'; // the '4' at string index 14 is zeroed
const at14 = (c: string) => `${ID.slice(0, 14)}${c}${ID.slice(15)}`;

describe('request-ID key', () => {
  test.each([
    ['Envoy UUID', ID, KEY],
    ['index 14 = 9 (sampled)', at14('9'), KEY],
    ['index 14 = a (forced)', at14('a'), KEY],
    ['index 14 = b (client-forced)', at14('b'), KEY],
    ['upper case', ID.toUpperCase(), KEY],
    ['a different ID', 'f81d4fae-7dec-41d0-a765-00a0c91e6bf7', 'f81d4fae7dec01d0a76500a0c91e6bf7'],
    ['index 13 is a dash, not part of the key', '00000000-0000-0000-0000-000000000000', '0'.repeat(32)],
    ['no dashes', ID.replaceAll('-', ''), ''],
    ['a dash out of place', 'f81d4fa-e7dec-41d0-a765-00a0c91e6bf6', ''],
    ['a non-hex digit', 'f81d4fae-7dec-41d0-a765-00a0c91e6bfg', ''],
    ['too long', `${ID}0`, ''],
    ['two IDs joined by Envoy', `${ID},${ID}`, ''],
    ['empty', '', ''],
    ['non-ASCII', 'f81d4fae-7dec-41d0-a765-00a0c91e6bfé', ''],
  ])('%s', (_name, id, key) => {
    expect(w.healKey(id)).toBe(key);
  });

  test('the slot depends on the key only, within [0, slots)', () => {
    expect(w.healSlot(ID, 8192)).toBe(w.healSlot(at14('9'), 8192));
    expect(w.healSlot('nope', 8192)).toBe(-1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const slot = w.healSlot(`${i.toString(16).padStart(8, '0')}-7dec-41d0-a765-00a0c91e6bf6`, 64);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(64);
      seen.add(slot);
    }
    expect(seen.size).toBe(64); // IDs that differ in one field spread over every slot
  });
});

describe('healed-trace alias value', () => {
  test.each([
    ['32 lower-hex digits', 'a1b2c3d4e5f60718293a4b5c6d7e8f90', true],
    ['all zero', '0'.repeat(32), false],
    ['upper case', 'A1B2C3D4E5F60718293A4B5C6D7E8F90', false],
    ['64-bit', 'a1b2c3d4e5f60718', false],
    ['too long', `${'a'.repeat(32)}0`, false],
    ['a non-hex digit', `${'a'.repeat(31)}g`, false],
    ['empty', '', false],
    ['a traceparent', '00-a1b2c3d4e5f60718293a4b5c6d7e8f90-00f067aa0ba902b7-01', false],
  ])('%s', (_name, v, ok) => {
    expect(w.healAliasValid(v)).toBe(ok);
  });
});

describe('shared-data entry', () => {
  const T = '4bf92f3577b34da6a3ce929d0e0e4736';
  const S = '00f067aa0ba902b7';
  const P = 'b7ad6b7169203331';

  test('a W3C context with its flags, tracestate (several headers joined) and time round-trips', () => {
    const e = w.healEntry({ traceparentOrB3: `00-${T}-${S}-03`, tracestate: 'a=1\nb=2', timeMs: 1_765_000_000_123n, id: ID, lookupId: at14('9') });
    expect(e).toMatchObject({ status: 'ok', length: 96 + 7, format: 1, timeMs: 1_765_000_000_123, tracestate: 'a=1,b=2' });
    expect(e.context).toMatchObject({ status: 'valid', traceId: T, spanId: S, parentSpanId: null, sampling: 'accept', flags: 3 });
  });

  test('a 64-bit B3 context keeps its width, parent and debug state; its tracestate is not kept', () => {
    const e = w.healEntry({ traceparentOrB3: `${T.slice(16)}-${S}-d-${P}`, tracestate: 'a=1', timeMs: 5n, id: ID });
    expect(e).toMatchObject({ status: 'ok', length: 96, format: 2, tracestate: '' });
    expect(e.context).toMatchObject({ traceId: T.slice(16), spanId: S, parentSpanId: P, sampling: 'debug' });
  });

  test('a tracestate longer than 512 bytes is not remembered (the context is)', () => {
    const long = Array.from({ length: 30 }, (_, i) => `k${i}=${'v'.repeat(20)}`).join(',');
    expect(long.length).toBeGreaterThan(512);
    const e = w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, tracestate: long, timeMs: 1n, id: ID });
    expect(e).toMatchObject({ status: 'ok', length: 96, tracestate: '' });
  });

  test('the healed trace\'s alias round-trips, before the tracestate', () => {
    const alias = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const e = w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, tracestate: 'a=1', timeMs: 7n, id: ID, alias });
    expect(e).toMatchObject({ status: 'ok', length: 96 + 32 + 3, alias, tracestate: 'a=1' });
    expect(e.context).toMatchObject({ traceId: T, spanId: S });
    expect(w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, timeMs: 7n, id: ID }).alias).toBe('');
  });

  test.each([
    ['a damaged alias digit', 100], ['an alias flag on an entry without one', -5],
  ])('%s makes it corrupt', (_name, at) => {
    const alias = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    // -5: the flags byte of an entry written without an alias, flipped to claim one (and more)
    const e = at > 0
      ? w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, timeMs: 7n, id: ID, alias, corruptAt: at })
      : w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, timeMs: 7n, id: ID, corruptAt: 5 });
    expect(e.status).toBe('corrupt');
  });

  test('another request\'s entry is reported as such', () => {
    expect(w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, timeMs: 1n, id: ID, lookupId: 'a81d4fae-7dec-41d0-a765-00a0c91e6bf6' }).status).toBe('other-key');
  });

  test.each([
    ['version', 0], ['format', 1], ['sampling state', 2], ['trace ID length', 4], ['parent flag', 5],
    ['tracestate length', 6], ['a trace ID digit', 40], ['a span ID digit', 70],
  ])('a damaged %s makes it corrupt (never trusted)', (_name, at) => {
    expect(w.healEntry({ traceparentOrB3: `00-${T}-${S}-01`, tracestate: 'a=1', timeMs: 1n, id: ID, corruptAt: at }).status).toBe('corrupt');
  });
});

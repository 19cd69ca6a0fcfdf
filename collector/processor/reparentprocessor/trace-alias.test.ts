import { describe, expect, it } from 'vitest';
import { parseTraceAlias, RecentTraces, TraceAliases, traceHash } from './trace-alias.js';

const id = (n: number): Buffer => Buffer.from(n.toString(16).padStart(32, '0'), 'hex');
const hex = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString('hex') : undefined);

describe('parseTraceAlias: the meshtrace.healed_trace tag value', () => {
  it.each([
    ['a1b2c3d4e5f60718293a4b5c6d7e8f90', 'a1b2c3d4e5f60718293a4b5c6d7e8f90'],
    ['A1B2C3D4E5F60718293A4B5C6D7E8F90', 'a1b2c3d4e5f60718293a4b5c6d7e8f90'],
    ['0'.repeat(32), undefined],
    ['a1b2c3d4e5f60718', undefined],
    ['a1b2c3d4e5f60718293a4b5c6d7e8f901', undefined],
    ['a1b2c3d4e5f60718293a4b5c6d7e8f9g', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as [string | undefined, string | undefined][])('%j → %j', (v, want) => {
    expect(hex(parseTraceAlias(v))).toBe(want);
  });
});

describe('TraceAliases', () => {
  it('resolves a learned alias; unknown traces resolve to nothing', () => {
    const a = new TraceAliases(10, 1000);
    expect(a.resolve(id(2))).toBeUndefined();
    expect(a.learn(id(2), id(1), 0).result).toBe('new');
    expect(hex(a.resolve(id(2)))).toBe(hex(id(1)));
    expect(a.resolve(id(1))).toBeUndefined();
    expect(a.resolve(id(3))).toBeUndefined();
    expect(a.learn(id(2), id(1), 10).result).toBe('refreshed');
    expect(a.size).toBe(1);
  });

  it('follows chains both ways round, and never aliases a trace to itself', () => {
    const a = new TraceAliases(10, 1000);
    a.learn(id(3), id(2), 0); // T3 → T2 first
    a.learn(id(2), id(1), 0); // then T2 → T1
    expect(hex(a.resolve(id(3)))).toBe(hex(id(1)));
    expect(a.learn(id(4), id(3), 0).target).toEqual(id(1)); // learned through the chain
    expect(a.learn(id(1), id(3), 0).result).toBe('ignored'); // T1 → T3 → … → T1: a cycle
    expect(a.learn(id(5), id(5), 0).result).toBe('ignored');
    expect(hex(a.resolve(id(1)))).toBeUndefined();
  });

  it('keeps at most `capacity`, the oldest forgotten first and counted', () => {
    const a = new TraceAliases(3, 1000);
    for (let i = 1; i <= 5; i++) a.learn(id(100 + i), id(i), 0);
    expect(a.size).toBe(3);
    expect(a.forgotten).toBe(2);
    expect(a.resolve(id(101))).toBeUndefined();
    expect(hex(a.resolve(id(105)))).toBe(hex(id(5)));
  });

  it('forgets an alias its time after it was last confirmed', () => {
    const a = new TraceAliases(10, 1000);
    a.learn(id(2), id(1), 0);
    a.learn(id(4), id(3), 0);
    a.learn(id(2), id(1), 600); // confirmed: kept until 1600
    a.expire(1000);
    expect(a.resolve(id(4))).toBeUndefined();
    expect(a.resolve(id(2))).toBeDefined();
    a.expire(1600);
    expect(a.resolve(id(2))).toBeUndefined();
    expect(a.size).toBe(0);
  });

  it('stays bounded over a long run of new and confirmed aliases (its queue compacts itself)', () => {
    const a = new TraceAliases(50, 100);
    for (let t = 0; t < 20_000; t++) {
      a.learn(id(1_000_000 + t), id(t % 7 + 1), t);
      if (t % 3 === 0) a.learn(id(1_000_000 + t - 1), id(1), t);
      a.expire(t);
      expect(a.size).toBeLessThanOrEqual(50);
    }
  });
});

describe('RecentTraces: spans gone out per recent trace, in a fixed table', () => {
  it('counts per trace and hands the count out once', () => {
    const r = new RecentTraces(1024);
    const h = traceHash(id(7));
    for (let i = 0; i < 3; i++) r.record(h);
    expect(r.take(h)).toBe(3);
    expect(r.take(h)).toBe(0);
  });

  it('a later trace in the same slot replaces the count (an estimate, never another trace\'s count)', () => {
    const r = new RecentTraces(1);
    r.record(traceHash(id(1)));
    r.record(traceHash(id(2)));
    expect(r.take(traceHash(id(1)))).toBe(0);
    expect(r.take(traceHash(id(2)))).toBe(1);
  });

  it('needs a power of two', () => {
    expect(() => new RecentTraces(1000)).toThrow('power of two');
  });
});

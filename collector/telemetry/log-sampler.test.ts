import { describe, expect, it } from 'vitest';
import { LogSampler } from './log-sampler.js';

describe('log sampler', () => {
  it('writes the first line of a kind, then one per interval with the count left out', () => {
    let t = 0;
    const s = new LogSampler(10_000, () => t);
    expect(s.take('a')).toBe(0);
    expect(s.take('a')).toBe(-1);
    expect(s.take('a')).toBe(-1);
    expect(s.take('b')).toBe(0); // kinds are independent
    t = 9_999;
    expect(s.take('a')).toBe(-1);
    t = 10_000;
    expect(s.take('a')).toBe(3);
    expect(s.take('a')).toBe(-1);
    t = 30_000;
    expect(s.take('a')).toBe(1);
    expect(s.take('b')).toBe(0);
  });

  it('stays bounded whatever the number of kinds', () => {
    const s = new LogSampler(10_000, () => 0);
    for (let i = 0; i < 5000; i++) expect(s.take(`k${i}`)).toBe(0);
    expect((s as unknown as { slots: Map<string, unknown> }).slots.size).toBeLessThanOrEqual(1024);
  });
});

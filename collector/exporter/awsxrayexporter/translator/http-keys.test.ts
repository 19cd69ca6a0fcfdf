import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HTTP_ATTRIBUTE_KEYS, HttpFacts, Take, takeHttpAttribute } from './http.js';

describe('HTTP_ATTRIBUTE_KEYS (makeSegment only calls takeHttpAttribute for these)', () => {
  it('lists exactly the keys takeHttpAttribute has a case for', () => {
    const src = fs.readFileSync(fileURLToPath(new URL('./http.ts', import.meta.url)), 'utf8');
    const body = src.slice(src.indexOf('export function takeHttpAttribute'), src.indexOf('export function buildHttpBlock'));
    const cases = [...body.matchAll(/case '([^']+)':/g)].map((m) => m[1]);
    expect(cases.length).toBeGreaterThan(20);
    expect([...HTTP_ATTRIBUTE_KEYS].sort()).toEqual([...new Set(cases)].sort());
  });

  it.each(['http.statuscode', 'HTTP.METHOD', 'url', 'peer.service', 'upstream_cluster', ''])('ignores %j', (key) => {
    const f = new HttpFacts();
    expect(takeHttpAttribute({ key, value: { stringValue: '200' } }, f)).toBe(Take.Keep);
    expect(f).toEqual(new HttpFacts());
  });
});

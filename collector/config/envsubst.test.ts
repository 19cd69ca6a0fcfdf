import { describe, expect, it } from 'vitest';
import { ConfigIssues } from './issues.js';
import { expandEnv } from './envsubst.js';

const env = { HOST: 'backend', PORT: '4317', TOKEN: '0123', EMPTY: '', FLAG: 'true', RATIO: '0.5', HEADERS: '{a: b}' };

function expand(v: unknown) {
  const issues = new ConfigIssues();
  const value = expandEnv(v, 'x', env, issues);
  return { value, errors: issues.errors.map((e) => `${e.path}: ${e.message}`), warnings: issues.warnings.map((e) => `${e.path}: ${e.message}`) };
}

describe('expandEnv (the Collector rules)', () => {
  it.each([
    ['${env:HOST}:${env:PORT}', 'backend:4317'],
    ['${env:PORT}', 4317],
    ['${env:FLAG}', true],
    ['${env:RATIO}', 0.5],
    ['${env:TOKEN}', '0123'],
    ['Bearer ${env:TOKEN}', 'Bearer 0123'],
    ['${env:EMPTY:-fallback}', ''],
    ['${env:UNSET:-fallback}', 'fallback'],
    ['${env:UNSET:-}', ''],
    ['${env:UNSET:-a:b}', 'a:b'],
    ['${HOST}', 'backend'],
    ['$${env:HOST}', '${env:HOST}'],
    ['$$HOST', '$HOST'],
    ['$HOST', '$HOST'],
    ['cost: 5$', 'cost: 5$'],
    ['${env:HEADERS}', { a: 'b' }],
    ['no refs', 'no refs'],
  ])('%s → %j', (input, want) => {
    const r = expand(input);
    expect(r.value).toEqual(want);
    expect(r.errors).toEqual([]);
  });

  it('warns about an unset variable without default and expands it to ""', () => {
    const r = expand('${env:NOPE}');
    expect(r.value).toBe('');
    expect(r.warnings).toEqual(['x: references unset environment variable NOPE (expanded to an empty string)']);
  });

  it.each([
    ['${env:1BAD}', 'x: environment variable name "1BAD" must match ^[a-zA-Z_][a-zA-Z0-9_]*$'],
    ['${file:/etc/passwd}', 'x: unsupported config provider scheme "file" in ${file:/etc/passwd} (only env is supported)'],
    ['${env:HOST', 'x: unterminated reference "${env:HOST"'],
  ])('%s is an error', (input, msg) => {
    expect(expand(input).errors).toEqual([msg]);
  });

  it('walks mappings and lists with full paths and leaves other scalars alone', () => {
    const r = expand({ a: ['${env:HOST}', 3, null, { b: '${env:NOPE}' }], c: false });
    expect(r.value).toEqual({ a: ['backend', 3, null, { b: '' }], c: false });
    expect(r.warnings[0]).toMatch(/^x\.a\[3\]\.b: /);
  });

  it('does not re-expand values that contain references', () => {
    const issues = new ConfigIssues();
    expect(expandEnv('${env:A}', '', { A: '${env:B}', B: 'no' }, issues)).toBe('${env:B}');
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigIssues } from './issues.js';
import {
  parseDuration,
  parseHostPort,
  parseSize,
  readBool,
  readDuration,
  readEndpoint,
  readEnum,
  readInt,
  readNumber,
  readObject,
  readSize,
  readString,
  readStringList,
  readStringMap,
  readUrl,
  maskUserinfo,
} from './validate.js';

function run<T>(f: (issues: ConfigIssues) => T): { value: T; errors: string[]; warnings: string[] } {
  const issues = new ConfigIssues();
  const value = f(issues);
  return {
    value,
    errors: issues.errors.map((e) => `${e.path}: ${e.message}`),
    warnings: issues.warnings.map((e) => `${e.path}: ${e.message}`),
  };
}

describe('parseDuration (Go time.ParseDuration)', () => {
  it.each([
    ['200ms', 200],
    ['5s', 5000],
    ['1m', 60000],
    ['1h', 3600000],
    ['1m30s', 90000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['300us', 0.3],
    ['300µs', 0.3],
    ['1000000ns', 1],
    ['0', 0],
    ['-1s', -1000],
    ['2h45m', 9900000],
  ])('%s → %s ms', (s, ms) => {
    expect(parseDuration(s)).toBeCloseTo(ms, 6);
  });
  it.each(['', '5', 's', '5 s', '5sec', '1d', '1.2.3s', 'abc', '5s junk', '-'])('%j is invalid', (s) => {
    expect(parseDuration(s)).toBeUndefined();
  });
});

describe('parseHostPort', () => {
  it.each([
    ['localhost:4317', { host: 'localhost', port: 4317 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
    [':8888', { host: '', port: 8888 }],
    ['[::1]:4318', { host: '::1', port: 4318 }],
    ['collector.observability.svc.cluster.local:4317', { host: 'collector.observability.svc.cluster.local', port: 4317 }],
  ])('%s', (s, want) => expect(parseHostPort(s)).toEqual(want));
  it.each(['localhost', 'localhost:', 'localhost:65536', 'localhost:-1', '::1:4317', 'http://x:1', 'a b:1', 'host:12ab', ''])('%j is invalid', (s) => {
    expect(parseHostPort(s)).toBeUndefined();
  });
});

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    ['20MiB', 20 * 1024 * 1024],
    ['512KB', 512000],
    ['1GiB', 1024 ** 3],
    ['1.5Mi', 1.5 * 1024 * 1024],
    ['100', 100],
    ['7b', 7],
  ])('%j → %d', (v, n) => expect(parseSize(v)).toBe(n));
  it.each(['', 'MiB', '-1', '10 parsecs', 1.5, -3, true])('%j invalid', (v) => expect(parseSize(v)).toBeUndefined());
});

describe('readObject', () => {
  it('returns {} for unset values without issues', () => {
    expect(run((i) => readObject(undefined, 'a', i, ['x']))).toEqual({ value: {}, errors: [], warnings: [] });
    expect(run((i) => readObject(null, 'a', i, ['x'])).value).toEqual({});
  });
  it('names all invalid keys in one error, like the Collector', () => {
    const r = run((i) => readObject({ endpoint: 'a:1', endpointt: 1, foo: 2 }, 'exporters.otlp', i, ['endpoint', 'timeout']));
    expect(r.errors).toEqual(['exporters.otlp: has invalid keys: endpointt, foo (valid keys: endpoint, timeout)']);
  });
  it('accepts deprecated keys with a warning', () => {
    const r = run((i) => readObject({ loglevel: 'debug' }, 'exporters.debug', i, ['verbosity'], { loglevel: "use 'verbosity'" }));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(["exporters.debug.loglevel: deprecated option, use 'verbosity'"]);
    expect(r.value).toEqual({ loglevel: 'debug' });
  });
  it.each([[[1, 2]], ['str'], [5]])('refuses a non-mapping %j', (v) => {
    const r = run((i) => readObject(v, 'p', i, []));
    expect(r.errors[0]).toMatch(/^p: expected a mapping/);
    expect(r.value).toEqual({});
  });
});

describe('scalar readers', () => {
  it.each([
    ['readString ok', (i: ConfigIssues) => readString('x', 'p', i, 'd'), 'x', []],
    ['readString default', (i: ConfigIssues) => readString(undefined, 'p', i, 'd'), 'd', []],
    ['readString number is its text', (i: ConfigIssues) => readString(123, 'p', i, 'd'), '123', []],
    ['readString list', (i: ConfigIssues) => readString([1], 'p', i, 'd'), 'd', ['p: expected a string, got a list']],
    ['readString empty', (i: ConfigIssues) => readString(' ', 'p', i, 'd', { nonEmpty: true }), 'd', ['p: must not be empty']],
    ['readBool ok', (i: ConfigIssues) => readBool(false, 'p', i, true), false, []],
    ['readBool string', (i: ConfigIssues) => readBool('yes', 'p', i, true), true, ['p: expected true or false, got "yes"']],
    ['readInt ok', (i: ConfigIssues) => readInt(5, 'p', i, 1), 5, []],
    ['readInt float', (i: ConfigIssues) => readInt(5.5, 'p', i, 1), 1, ['p: expected an integer, got 5.5']],
    ['readInt string', (i: ConfigIssues) => readInt('5', 'p', i, 1), 1, ['p: expected an integer, got "5"']],
    ['readInt min', (i: ConfigIssues) => readInt(-1, 'p', i, 1, { min: 0 }), 1, ['p: must be at least 0, got -1']],
    ['readInt max', (i: ConfigIssues) => readInt(70000, 'p', i, 1, { max: 65535 }), 1, ['p: must be at most 65535, got 70000']],
    ['readNumber', (i: ConfigIssues) => readNumber(0.5, 'p', i, 1, { min: 0, max: 1 }), 0.5, []],
    ['readNumber NaN-ish', (i: ConfigIssues) => readNumber('x', 'p', i, 1), 1, ['p: expected a number, got "x"']],
    ['readEnum ok', (i: ConfigIssues) => readEnum('gzip', 'p', i, ['gzip', 'none'], 'none'), 'gzip', []],
    ['readEnum bad', (i: ConfigIssues) => readEnum('zstd', 'p', i, ['gzip', 'none'], 'none'), 'none', ['p: expected one of gzip, none, got "zstd"']],
    ['readDuration ok', (i: ConfigIssues) => readDuration('5s', 'p', i, 1), 5000, []],
    ['readDuration zero', (i: ConfigIssues) => readDuration(0, 'p', i, 1), 0, []],
    ['readDuration zero refused', (i: ConfigIssues) => readDuration('0s', 'p', i, 1, { allowZero: false }), 1, ['p: must be greater than 0']],
    ['readDuration bare number', (i: ConfigIssues) => readDuration(5, 'p', i, 1), 1, ['p: expected a duration like 200ms, 5s or 1m, got 5']],
    ['readDuration negative', (i: ConfigIssues) => readDuration('-5s', 'p', i, 1), 1, ['p: must not be negative, got "-5s"']],
    ['readSize', (i: ConfigIssues) => readSize('1KiB', 'p', i, 0), 1024, []],
    ['readSize bad', (i: ConfigIssues) => readSize('lots', 'p', i, 0), 0, ['p: expected a size in bytes or with a unit like 20MiB, got "lots"']],
    ['readEndpoint ok', (i: ConfigIssues) => readEndpoint('0.0.0.0:4317', 'p', i, 'd'), '0.0.0.0:4317', []],
    ['readEndpoint bad', (i: ConfigIssues) => readEndpoint('nohostport', 'exporters.otlp.endpoint', i, 'd'), 'd', ['exporters.otlp.endpoint: expected host:port, got "nohostport"']],
    ['readEndpoint url refused', (i: ConfigIssues) => readEndpoint('http://a:1', 'p', i, 'd'), 'd', ['p: expected host:port, got "http://a:1"']],
    ['readEndpoint url allowed', (i: ConfigIssues) => readEndpoint('https://a:1', 'p', i, 'd', { schemes: ['https'] }), 'https://a:1', []],
    ['readEndpoint number', (i: ConfigIssues) => readEndpoint(4317, 'p', i, 'd'), 'd', ['p: expected host:port, got 4317']],
    ['readUrl ok', (i: ConfigIssues) => readUrl('https://x.example/v1', 'p', i, undefined), 'https://x.example/v1', []],
    ['readUrl bad', (i: ConfigIssues) => readUrl('ftp://x', 'p', i, undefined), undefined, ['p: expected a URL (http:// or https://), got "ftp://x"']],
    ['readUrl bad, credentials masked', (i: ConfigIssues) => readUrl('redis://:s3cret@redis:6379', 'p', i, undefined), undefined, ['p: expected a URL (http:// or https://), got "redis://***@redis:6379"']],
    ['readEndpoint bad URL, credentials masked', (i: ConfigIssues) => readEndpoint('ftp://user:s3cret@a:1/x', 'p', i, 'd', { schemes: ['https'] }), 'd', ['p: expected https://host:port or host:port, got "ftp://***@a:1/x"']],
    ['readEndpoint bad, credentials without a scheme masked', (i: ConfigIssues) => readEndpoint('user:s3cret@collector:4317', 'p', i, 'd'), 'd', ['p: expected host:port, got "***@collector:4317"']],
    ['readEnum bad, an @ in a path is not userinfo', (i: ConfigIssues) => readEnum('https://x/a@b', 'p', i, ['gzip'], 'gzip'), 'gzip', ['p: expected one of gzip, got "https://x/a@b"']],
  ] as const)('%s', (_name, f, want, errors) => {
    const r = run(f as (i: ConfigIssues) => unknown);
    expect(r.value).toEqual(want);
    expect(r.errors).toEqual(errors);
  });
});

describe('collections', () => {
  it('readStringMap', () => {
    const r = run((i) => readStringMap({ a: 'x', b: 5, c: { d: 1 } }, 'h', i));
    expect(r.value).toEqual({ a: 'x', b: '5' });
    expect(r.errors).toEqual(['h.c: expected a string, got a mapping']);
  });
  it('readStringList', () => {
    const r = run((i) => readStringList(['a', 3, 'b', {}], 'l', i));
    expect(r.value).toEqual(['a', 'b']);
    expect(r.errors).toEqual(['l[1]: expected a string, got 3', 'l[3]: expected a string, got a mapping']);
    expect(run((i) => readStringList('a', 'l', i)).errors).toEqual(['l: expected a list of strings, got "a"']);
  });
});

describe('maskUserinfo: what a config error may show of a URL or endpoint', () => {
  it.each([
    ['https://user:pw@host:443/v1', 'https://***@host:443/v1'],
    ['redis://:pw@redis:6379/0', 'redis://***@redis:6379/0'],
    ['//user:pw@host', '//***@host'],
    ['user:pw@host:4317', '***@host:4317'],
    ['https://host/path@not-userinfo', 'https://host/path@not-userinfo'],
    ['https://host?q=a@b', 'https://host?q=a@b'],
    ['host:4317', 'host:4317'],
    ['plain text', 'plain text'],
  ])('%s', (input, shown) => {
    expect(maskUserinfo(input)).toBe(shown);
  });
});

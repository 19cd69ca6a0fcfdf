/**
 * String.prototype stays in V8's fast-properties mode in the collector process, whatever its
 * libraries do at load time (fast-string-prototype.ts). Each case runs in a child `node
 * --allow-natives-syntax`, which can ask V8 with `%HasFastProperties`, on the built code in dist/.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/collector');
const url = (rel: string) => JSON.stringify(pathToFileURL(path.join(dist, rel)).href);

/** Runs `body` as an ES module in a child node and returns what it printed. */
function inChild(body: string): string {
  return execFileSync(process.execPath, ['--allow-natives-syntax', '--no-warnings', '--input-type=module', '-e', body], {
    encoding: 'utf8',
    timeout: 30_000,
  }).trim();
}

/** The V8 major version the cause was measured on (Node 20); newer V8s may behave differently. */
const MEASURED_ON_V8 = Number(process.versions.v8.split('.')[0]) === 11;

const FAST = 'console.log(%HasFastProperties(String.prototype) ? "fast" : "dictionary");';

describe('String.prototype stays fast', () => {
  it('keepStringPrototypeFast() brings back a String.prototype a String subclass made slow', () => {
    const out = inChild(
      `${FAST} class Verbatim extends String {} ${FAST}` +
        `const { keepStringPrototypeFast } = await import(${url('runtime/fast-string-prototype.js')}); keepStringPrototypeFast(); ${FAST}`,
    );
    const [atStart, afterSubclass, afterFix] = out.split('\n');
    expect(atStart).toBe('fast');
    // Dictionary after `extends String`: the V8 behaviour this works around.
    if (MEASURED_ON_V8) expect(afterSubclass).toBe('dictionary');
    expect(afterFix).toBe('fast');
  });

  it.runIf(MEASURED_ON_V8)('loading ioredis alone leaves String.prototype in dictionary mode (the cause)', () => {
    expect(inChild(`await import('ioredis'); ${FAST}`)).toBe('dictionary');
  });

  it('the module that loads ioredis restores it', () => {
    expect(inChild(`await import(${url('exporter/awsxrayexporter/traceid/redis-epoch-store.js')}); ${FAST}`)).toBe('fast');
  });

  it('after every component is loaded (what the collector CLI does), it is fast', () => {
    expect(inChild(`await import(${url('components.js')}); ${FAST}`)).toBe('fast');
  });
});

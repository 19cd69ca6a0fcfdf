/**
 * meshtrace-filter CLI, tested by spawning the built command (dist/host/cli.js,
 * produced by `npm run build:ts`) the way a user runs it.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'dist/host/cli.js');
const PROBE = ['--wasm', 'build/probe-filter.wasm', '--root-id', 'probe'];

function run(args: string[], stdin = '') {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input: stdin, encoding: 'utf8', timeout: 60_000 });
  const lines = r.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stderr: r.stderr };
}

describe('meshtrace-filter CLI', () => {
  it('runs one request from flags through the default module and prints one JSON line', () => {
    const r = run(['--direction', 'inbound', '-H', ':path: /productpage', '-H', 'X-Rep: 1', '-H', 'x-rep: 2', '-R', ':status: 201']);
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ requestHeaders: expect.arrayContaining([[':path', '/productpage'], ['x-rep', '1'], ['x-rep', '2']]), responseHeaders: expect.arrayContaining([[':status', '201']]) });
    expect(Array.isArray(r.lines[0]!.logs)).toBe(true);
    const reps = (r.lines[0]!.requestHeaders as Array<[string, string]>).filter(([k]) => k === 'x-rep');
    expect(reps).toEqual([['x-rep', '1'], ['x-rep', '2']]);
  });

  it('--jsonl: one output line per input line; bad lines give a clear error and do not stop the run', () => {
    const input = [
      JSON.stringify({ direction: 'outbound', requestHeaders: { a: ['1', '2'] } }),
      'not json',
      JSON.stringify({ direction: 'sideways' }),
      JSON.stringify({ requestHeaders: [['a']] }),
      JSON.stringify({ surprise: 1 }),
      '[1,2]',
      JSON.stringify({ requestHeaders: [['B', 'c'], ['b', 'd']] }),
    ].join('\n');
    // The probe module leaves headers alone unless asked (the real filter stamps and adds
    // x-request-id: test/filter/cli.test.ts covers it).
    const r = run([...PROBE, '--jsonl'], `${input}\n`);
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([
      expect.objectContaining({ requestHeaders: [['a', '1'], ['a', '2']] }),
      { line: 2, error: expect.stringMatching(/^not JSON: /) },
      { line: 3, error: 'direction: expected "inbound" or "outbound", got "sideways"' },
      { line: 4, error: 'requestHeaders[0]: expected a [name, value] pair of strings' },
      { line: 5, error: 'unknown field(s): surprise (known: direction, cluster, node, config, requestHeaders, responseHeaders)' },
      { line: 6, error: 'expected a JSON object' },
      expect.objectContaining({ requestHeaders: [['b', 'c'], ['b', 'd']], responseHeaders: [[':status', '200']] }),
    ]);
  });

  it('direction, cluster and node become the properties Envoy sets', () => {
    const r = run([...PROBE, '--direction', 'outbound', '--cluster', 'outbound|9080||reviews', '--node', 'router~1~gw',
      '-H', 'x-probe-op: props', '-H', 'x-probe-prop: int64:xds/listener_direction', '-H', 'x-probe-prop: string:xds/cluster_name', '-H', 'x-probe-prop: string:xds/node/id']);
    expect(r.status).toBe(0);
    const results = (r.lines[0]!.requestHeaders as Array<[string, string]>).filter(([k]) => k === 'x-probe-result').map(([, v]) => v);
    expect(results).toEqual(['int64:xds/listener_direction=2', 'string:xds/cluster_name=outbound|9080||reviews', 'string:xds/node/id=router~1~gw']);
  });

  it('per-line config: a rejected configuration is an error line; a trap is reported and the request passes unchanged', () => {
    const input = [
      JSON.stringify({ config: 'reject', requestHeaders: { a: '1' } }),
      JSON.stringify({ requestHeaders: { 'x-probe-op': 'trap', keep: 'me' } }),
      JSON.stringify({ requestHeaders: { 'x-probe-op': 'count' } }),
    ].join('\n');
    const r = run([...PROBE, '--jsonl'], input);
    expect(r.lines[0]).toMatchObject({ error: 'the filter rejected the plugin configuration (proxy_on_configure returned false)', logs: expect.arrayContaining([{ level: 'warn', message: "probe: refusing configuration 'reject'" }]) });
    expect(r.lines[1]).toMatchObject({ requestHeaders: [['x-probe-op', 'trap'], ['keep', 'me']], error: expect.stringContaining('the filter trapped') });
    expect(r.lines[2]).toMatchObject({ requestHeaders: [['x-probe-op', 'count'], ['x-probe-count', '1/1']] });
  });

  it('a module Envoy would refuse: exit 2 with Envoy\'s reason', () => {
    const r = run(['--wasm', 'build/invalid/env-abort.wasm']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Failed to load Wasm module due to a missing import: env.abort');
  });

  it('usage errors exit 2; --help exits 0', () => {
    expect(run(['--direction', 'up']).status).toBe(2);
    expect(run(['-H', 'no-colon']).stderr).toContain("-H expects 'name: value'");
    const help = spawnSync(process.execPath, [CLI, '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--jsonl');
  });
});

/**
 * The meshtrace-filter command on the REAL filter (build/meshtrace-filter.wasm), spawned the way
 * a user runs it (dist/host/cli.js, built by `npm run build:ts`).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, GATEWAY_NODE, UUID_V4, contextProblems } from './helpers.js';

const CLI = resolve(ROOT, 'dist/host/cli.js');
const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

type Line = { requestHeaders: Array<[string, string]>; responseHeaders: Array<[string, string]>; logs: Array<{ level: string; message: string }>; error?: string };

function run(args: string[], stdin = '') {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input: stdin, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, lines: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), stderr: r.stderr };
}
const get = (h: Array<[string, string]>, n: string) => h.filter(([k]) => k === n).map(([, v]) => v);

describe('meshtrace-filter CLI on the real filter', () => {
  it('one request from flags: stamps, X-B3-* from the traceparent, x-request-id generated and echoed', () => {
    const r = run(['--direction', 'inbound', '-H', ':path: /productpage', '-H', `traceparent: 00-${T}-${S}-01`, '-H', 'x-meshtrace-kind: client']);
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(1);
    const [line] = r.lines;
    expect(get(line!.requestHeaders, 'x-meshtrace-kind')).toEqual(['server']);
    expect(get(line!.requestHeaders, 'x-meshtrace-direction')).toEqual(['inbound']);
    expect(get(line!.requestHeaders, 'x-b3-traceid')).toEqual([T]);
    expect(get(line!.requestHeaders, 'x-b3-spanid')).toEqual([S]);
    const [id] = get(line!.requestHeaders, 'x-request-id');
    expect(id).toMatch(UUID_V4);
    expect(get(line!.responseHeaders, 'x-request-id')).toEqual([id]);
    expect(contextProblems(line!.requestHeaders)).toEqual([]);
  });

  it('--jsonl: per-line direction, cluster, node and config; repeated headers; a refused config is reported', () => {
    const lines = [
      { direction: 'outbound', requestHeaders: { b3: `${T}-${S}-1`, 'x-request-id': 'r1' } },
      { cluster: 'inbound|9080||', requestHeaders: [['tracestate', 'a=1'], ['traceparent', `00-${T}-${S}-00`], ['tracestate', 'b=2'], ['x-request-id', 'r2']] },
      { node: GATEWAY_NODE, requestHeaders: [['x-request-id', 'r3']] },
      { config: { direction: 'sideways' }, requestHeaders: { a: '1' } },
      { config: { propagation: ['b3'], kind_header: 'x-kind' }, direction: 'outbound', requestHeaders: [['traceparent', `00-${T}-${S}-01`], ['x-request-id', 'r5']] },
      {},
    ].map((o) => JSON.stringify(o)).join('\n');
    const r = run(['--jsonl'], `${lines}\n`);
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(6);
    const [out, inb, gw, bad, b3, none] = r.lines as [Line, Line, Line, Line, Line, Line];
    expect(get(out.requestHeaders, 'x-meshtrace-kind')).toEqual(['client']);
    expect(get(out.requestHeaders, 'traceparent')).toEqual([`00-${T}-${S}-01`]);
    expect(get(out.responseHeaders, 'x-request-id')).toEqual([]);
    expect(get(inb.requestHeaders, 'x-meshtrace-direction')).toEqual(['inbound']);
    expect(get(inb.requestHeaders, 'tracestate')).toEqual(['a=1', 'b=2']);
    expect(get(inb.responseHeaders, 'x-request-id')).toEqual(['r2']);
    expect(get(gw.requestHeaders, 'x-meshtrace-kind')).toEqual(['server']);
    expect(bad.error).toMatch(/rejected the plugin configuration/);
    expect(bad.logs.map((l) => l.message)).toEqual([expect.stringContaining('direction: unknown value "sideways"')]);
    expect(bad.requestHeaders).toEqual([['a', '1']]);
    expect(get(b3.requestHeaders, 'x-kind')).toEqual(['client']);
    expect(get(b3.requestHeaders, 'b3')).toEqual([`${T}-${S}-1`]);
    expect(none.requestHeaders).toEqual([['x-request-id', expect.stringMatching(UUID_V4)]]); // no stamps: direction unknown
    expect(none.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('cannot tell the direction') })]);
  });
});

describe('meshtrace-filter --jsonl: one Envoy process, its shared data shared (healing)', () => {
  it('an inbound line remembers its context; a later outbound line with the same x-request-id and no context is healed, also in another VM', () => {
    const id = 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6';
    const lines = [
      { direction: 'inbound', requestHeaders: [['traceparent', `00-${T}-${S}-01`], ['x-request-id', id]] },
      { direction: 'outbound', requestHeaders: [['x-request-id', `${id.slice(0, 14)}9${id.slice(15)}`]] },
      { direction: 'outbound', config: { propagation: ['b3'] }, requestHeaders: [['x-request-id', id]] },
      { direction: 'outbound', requestHeaders: [['x-request-id', 'a81d4fae-7dec-41d0-a765-00a0c91e6bf6']] },
    ].map((o) => JSON.stringify(o)).join('\n');
    const r = run(['--jsonl'], `${lines}\n`);
    expect(r.status).toBe(0);
    const [, healed, healedB3, miss] = r.lines as [Line, Line, Line, Line];
    expect(get(healed.requestHeaders, 'traceparent')).toEqual([`00-${T}-${S}-01`]);
    expect(get(healed.requestHeaders, 'x-b3-traceid')).toEqual([T]);
    expect(get(healed.requestHeaders, 'x-meshtrace-healed')).toEqual(['1']);
    expect(get(healedB3.requestHeaders, 'b3')).toEqual([`${T}-${S}-1`]);
    expect(get(healedB3.requestHeaders, 'x-meshtrace-healed')).toEqual(['1']);
    expect(get(miss.requestHeaders, 'traceparent')).toEqual([]);
    expect(get(miss.requestHeaders, 'x-meshtrace-healed')).toEqual([]);
  });
});

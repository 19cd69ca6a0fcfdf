/**
 * Runs the built collector (`node dist/collector/cli.js`) as users do, on 127.0.0.1 with port 0
 * everywhere, and reads the bound ports back from its JSON logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { TraceData } from '../../collector/pdata/model.js';
import { decodeTraceRequestJson } from '../../collector/pdata/otlp-json-decode.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'dist/collector/cli.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`collector did not exit within ${opts.timeoutMs ?? 20000}ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 20000);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mt-e2e-'));
}

export function writeConfig(dir: string, yaml: string, name = 'config.yaml'): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, yaml);
  return p;
}

/** What a `file` exporter wrote (one OTLP/JSON request per line), as one TraceData. */
export function readFileExport(file: string): TraceData {
  const td: TraceData = { resourceSpans: [] };
  for (const line of fs.readFileSync(file, 'utf8').trimEnd().split('\n')) td.resourceSpans.push(...decodeTraceRequestJson(line).resourceSpans);
  return td;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A running collector; its stdout JSON log lines are collected as they come. */
export class RunningCollector {
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d;
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue;
        }
        this.logs.push(parsed);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(parsed)) return true;
          w.resolve(parsed);
          return false;
        });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(args: string[], env: Record<string, string> = {}): RunningCollector {
    return new RunningCollector(spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...process.env, ...env } }));
  }

  /** Resolves with the first log line (past or future) matching `pred`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 15000): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`log line not seen within ${timeoutMs}ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
      void this.exited.then(() => reject(new Error(`collector exited; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`)));
    });
  }

  /** The port from a log line whose `endpoint` is host:port or which has `port`. */
  static portOf(l: LogLine): number {
    if (typeof l.port === 'number') return l.port;
    const m = /:(\d+)$/.exec(String(l.endpoint));
    if (!m) throw new Error(`no port in ${JSON.stringify(l)}`);
    return Number(m[1]);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}

/** SIGKILLs every collector of `list` still running and empties the list (afterEach). */
export async function killAll(list: RunningCollector[]): Promise<void> {
  for (const c of list.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.kill('SIGKILL');
      await c.exited;
    }
  }
}

/**
 * For a test file: a function that starts collectors, each SIGKILLed after its test if it is
 * still running (a failed assertion must not leave a process behind).
 */
export function collectorStarter(): (args: string[], env?: Record<string, string>) => RunningCollector {
  const started: RunningCollector[] = [];
  afterEach(() => killAll(started));
  return (args, env) => {
    const c = RunningCollector.start(args, env);
    started.push(c);
    return c;
  };
}

/**
 * A collector config: OTLP/HTTP in on a free port → `otlphttp` (no compression) to `endpoint`
 * with a persistent sending queue in `queueDir` (file_storage). `retry` and `metrics` are YAML
 * flow mappings, `queue` and `storage` the entries of one (added to the sending queue's and to
 * file_storage's), spliced in as they are.
 */
export function persistentQueueConfig(
  dir: string,
  o: { endpoint: string; queueDir: string; retry: string; queue: string; storage?: string; metrics: string },
): string {
  return writeConfig(
    dir,
    `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
exporters:
  otlphttp:
    endpoint: ${o.endpoint}
    compression: none
    retry_on_failure: ${o.retry}
    sending_queue: { storage: file_storage, ${o.queue} }
extensions:
  file_storage: { directory: ${o.queueDir}${o.storage ? `, ${o.storage}` : ''} }
service:
  extensions: [file_storage]
  pipelines:
    traces: { receivers: [otlp], exporters: [otlphttp] }
  telemetry:
    metrics: ${o.metrics}
`,
  );
}

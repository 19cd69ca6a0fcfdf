/**
 * Starts the collector the way the pod does (the image's `node dist/collector/cli.js --config
 * FILE`) on a config text, waits for its health_check server, probes it like the kubelet, and
 * stops it like Kubernetes (SIGTERM). Shared by the tests that run a shipped or a legacy config.
 * Callers move every listening address to 127.0.0.1 and port 0 (or a free port) first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, repoPath } from './manifests.js';

/** Environment for a collector that must not reach AWS or instance metadata. */
export const OFFLINE_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

/** A TCP port free on 127.0.0.1 right now (for configs whose keys cannot say "port 0"). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().on('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Every listening address of a collector config text moved to 127.0.0.1, port 0. */
export function localOnly(text: string): string {
  return text
    .replace(/0\.0\.0\.0:\d+/g, '127.0.0.1:0')
    .replace(/(\bhost:\s*)(0\.0\.0\.0|"0\.0\.0\.0"|"::"|::)/g, '$1127.0.0.1')
    .replace(/(\bport:\s*)\d+(\s*})/g, '$10$2')
    .replace(/^(\s*port:\s*)\d+\s*$/gm, '$10');
}

export interface RunningPodCollector {
  child: ChildProcess;
  /** `host:port` the health_check extension logged. */
  healthEndpoint: string;
  /** Every stdout line parsed as JSON (the collector's logs), so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Polls `path` until 200 (at most ~5 s); the last status seen. */
  probe(path: string): Promise<number>;
  /** SIGTERM; the exit code, or 'timeout' after `graceMs`. */
  stop(graceMs: number): Promise<number | null | 'timeout'>;
  dispose(): void;
}

/**
 * `emptyDirMounts`: the mount paths of the pod's emptyDir volumes (e.g. the persistent queue's
 * directory); each becomes a fresh directory of this run, wherever the config names it.
 */
export async function startPodCollector(
  argv: string[],
  configText: string,
  env: Record<string, string>,
  emptyDirMounts: readonly string[] = [],
): Promise<RunningPodCollector> {
  if (!fs.existsSync(repoPath('dist/collector/cli.js'))) throw new Error('dist/collector/cli.js missing: run `npm run build:ts` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-start-'));
  emptyDirMounts.forEach((mountPath, i) => {
    const local = path.join(dir, `volume-${i}`);
    fs.mkdirSync(local);
    configText = configText.split(mountPath).join(local);
  });
  const configPath = argv[argv.indexOf('--config') + 1]!;
  const file = path.join(dir, path.basename(configPath));
  fs.writeFileSync(file, configText);
  const args = argv.slice(1).map((a) => (a === configPath ? file : a));
  const child = spawn(argv[0] === 'node' ? process.execPath : argv[0]!, args, {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => { stderr += c; });
  const logs: Record<string, unknown>[] = [];
  const dispose = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let healthEndpoint: string;
  try {
    healthEndpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'health check server listening' log line within 15 s; stderr: ${stderr}`)), 15_000);
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`collector exited with ${code}: ${stderr}`)); });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let rec: { msg?: string; endpoint?: string };
        try { rec = JSON.parse(line) as typeof rec; } catch { return; /* not a JSON log line */ }
        logs.push(rec);
        if (rec.msg === 'health check server listening' && rec.endpoint) { clearTimeout(timer); resolve(rec.endpoint); }
      });
    });
  } catch (e) {
    dispose();
    throw e;
  }
  return {
    child,
    healthEndpoint,
    logs,
    stderr: () => stderr,
    async probe(probePath) {
      const host = healthEndpoint.replace(/^(0\.0\.0\.0|\[::\]|::|):/, '127.0.0.1:');
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = await httpStatus(`http://${host}${probePath}`).catch(() => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      return status;
    },
    async stop(graceMs) {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs))]);
    },
    dispose,
  };
}

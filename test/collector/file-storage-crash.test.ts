/**
 * Crash safety of the file_storage extension, with real processes:
 * - torn writes: a writer process is killed with SIGKILL at random moments while it writes and
 *   deletes (several writes per LMDB transaction, as the sending queue does); after each kill a
 *   new process opens the file: every write it had acknowledged is there, byte for byte, every
 *   acknowledged delete is gone, and no value is damaged;
 * - a read-only file system, a full disk and a directory the collector may not write (the real
 *   collector started on them): start fails at once with a message that names the problem;
 *   a disk that fills while running: spans are refused retryably (HTTP 503), nothing crashes.
 * The file-system cases need root (tmpfs mounts in a private mount namespace made with
 * `unshare -m`, and a collector run as uid 65534); without root they fail, saying so.
 * Build first: npx tsc -p tsconfig.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../collector/pdata/otlp-proto.js';
import { makeTraces } from '../../collector/service/testkit.js';
import { ConfigIssues } from '../../collector/config/issues.js';
import { parseFileStorageConfig } from '../../collector/extension/filestorageextension/config.js';
import { FileStorageExtension } from '../../collector/extension/filestorageextension/extension.js';
import { nullLogger } from '../../collector/telemetry/logger.js';
import { CollectorMetrics } from '../../collector/telemetry/metrics.js';
import { seededRng } from '../seeded-rng.js';
import { cliPath, killAll, persistentQueueConfig, repoRoot, RunningCollector, tempDir } from './harness.js';

const dist = (p: string) => path.join(repoRoot, 'dist/collector', p);

/** A child that opens file_storage in `dir` and writes (mode `write`) or checks (mode `verify`). */
const STORE_CHILD = `
import { FileStorageExtension } from ${JSON.stringify(dist('extension/filestorageextension/extension.js'))};
import { parseFileStorageConfig } from ${JSON.stringify(dist('extension/filestorageextension/config.js'))};
import { ConfigIssues } from ${JSON.stringify(dist('config/issues.js'))};
import { nullLogger } from ${JSON.stringify(dist('telemetry/logger.js'))};
import { CollectorMetrics } from ${JSON.stringify(dist('telemetry/metrics.js'))};
const [dir, mode, from] = process.argv.slice(2);
// The value of record n: its length and every byte follow from n, so any damage shows.
const value = (n) => {
  const b = Buffer.alloc(500 + ((n * 7919) % 120000));
  b.writeUInt32LE(n, 0);
  for (let j = 4; j < b.length; j++) b[j] = (n * 31 + j) & 255;
  return b;
};
const ext = new FileStorageExtension(parseFileStorageConfig({ directory: dir, fsync: false }, 'x', new ConfigIssues()), { id: 'file_storage', logger: nullLogger(), metrics: new CollectorMetrics() });
await ext.start();
const c = await ext.getClient('exporter', 'otlphttp', 'traces');
if (mode === 'hold') {
  process.stdout.write('holding\\n');
  setInterval(() => {}, 1000);
} else if (mode === 'verify') {
  const present = [];
  const bad = [];
  for await (const { key, value: v } of c.entries()) {
    present.push(key);
    if (!Buffer.from(v).equals(value(Number(key)))) bad.push(key);
  }
  process.stdout.write(JSON.stringify({ present, bad }) + '\\n');
  await c.close();
  await ext.shutdown();
  process.exit(0);
}
for (let n = Number(from); mode === 'write'; n += 4) {
  await Promise.all([0, 1, 2, 3].map(async (k) => {
    const key = String(n + k).padStart(16, '0');
    await c.set(key, value(n + k));
    process.stdout.write('ack ' + key + '\\n');
  }));
  if (n % 20 === 0 && n >= 40) {
    const old = String(n - 40).padStart(16, '0');
    process.stdout.write('deleting ' + old + '\\n');
    await c.delete(old);
    process.stdout.write('del ' + old + '\\n');
  }
}
`;

function storeChild(dir: string, mode: 'write' | 'verify' | 'hold', from = 0) {
  const script = path.join(dir, '..', 'store-child.mjs');
  fs.writeFileSync(script, STORE_CHILD);
  return spawn(process.execPath, [script, dir, mode, String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('file_storage survives SIGKILL in the middle of writes (torn writes)', () => {
  it('after each of 6 kills, every acknowledged write is intact and every acknowledged delete is gone', async () => {
    const root = tempDir();
    const dir = path.join(root, 'queue');
    fs.mkdirSync(dir);
    const rng = seededRng(42);
    const acked = new Set<string>();
    const deleted = new Set<string>();
    const deleting = new Set<string>(); // a delete under way may or may not be committed
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const w = storeChild(dir, 'write', next);
      let buf = '';
      let stderr = '';
      w.stderr.on('data', (d: Buffer) => (stderr += d));
      w.stdout.on('data', (d: Buffer) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const [what, key] = buf.slice(0, i).split(' ');
          buf = buf.slice(i + 1);
          if (what === 'ack') acked.add(key!);
          else if (what === 'del') deleted.add(key!);
          else if (what === 'deleting') deleting.add(key!);
        }
      });
      // Kill once it is writing, at a random moment (a commit is usually under way).
      const ackedBefore = acked.size;
      const until = Date.now() + 20_000;
      while (acked.size < ackedBefore + 8 && Date.now() < until && w.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      expect(acked.size, `writer made no progress: ${stderr}`).toBeGreaterThanOrEqual(ackedBefore + 8);
      await new Promise((r) => setTimeout(r, 20 + rng.int(300)));
      w.kill('SIGKILL');
      await new Promise((r) => w.once('exit', r));
      next = Math.max(...[...acked].map(Number)) + 100; // the next round never rewrites a key

      const v = storeChild(dir, 'verify');
      let out = '';
      let verr = '';
      v.stdout.on('data', (d: Buffer) => (out += d));
      v.stderr.on('data', (d: Buffer) => (verr += d));
      const code = await new Promise((r) => v.once('exit', r));
      expect(code, verr).toBe(0);
      const { present, bad } = JSON.parse(out) as { present: string[]; bad: string[] };
      const have = new Set(present);
      expect(bad).toEqual([]);
      const missing = [...acked].filter((k) => !deleting.has(k) && !have.has(k));
      expect(missing).toEqual([]);
      expect([...deleted].filter((k) => have.has(k))).toEqual([]);
    }
    expect(acked.size).toBeGreaterThan(48);
  }, 120_000);
});

describe('file_storage: one collector per file (the lease)', () => {
  it('a file held by a live process: start waits `timeout`, then fails naming the holder; once it is killed the file is taken at once', async () => {
    const root = tempDir();
    const dir = path.join(root, 'queue');
    fs.mkdirSync(dir);
    const holder = storeChild(dir, 'hold');
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });
    const cfg = parseFileStorageConfig({ directory: dir, timeout: '300ms' }, 'extensions.file_storage', new ConfigIssues());
    const ext = new FileStorageExtension(cfg, { id: 'file_storage', logger: nullLogger(), metrics: new CollectorMetrics() });
    await ext.start();
    const started = Date.now();
    await expect(ext.getClient('exporter', 'otlphttp', 'traces')).rejects.toThrow(
      new RegExp(`exporter_otlphttp__traces is in use by pid ${holder.pid} on .*waited 300ms \\(timeout\\)`),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const c = await ext.getClient('exporter', 'otlphttp', 'traces'); // a dead holder on this host: taken at once
    await c.close();
    await ext.shutdown();
  }, 30_000);
});

// ---- the real collector on hostile file systems ----------------------------------------------

const isRoot = process.getuid?.() === 0;
const canMount = isRoot && spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt'], { stdio: 'ignore' }).status === 0;

const started: RunningCollector[] = [];
afterEach(() => killAll(started));

function collectorConfig(dir: string, queueDir: string): string {
  fs.chmodSync(dir, 0o755);
  const p = persistentQueueConfig(dir, {
    endpoint: 'http://127.0.0.1:9',
    queueDir,
    retry: '{ max_elapsed_time: 0 }',
    queue: 'queue_size_spans: 1000000, queue_size_bytes: 1GiB, queue_size: 100000',
    metrics: '{ level: none }',
  });
  fs.chmodSync(p, 0o644);
  return p;
}

/** Starts the collector inside a private mount namespace after `setup` (shell) ran there. */
function startIn(setup: string, cfg: string): RunningCollector {
  const child = spawn('unshare', ['-m', 'sh', '-c', `set -e; ${setup}; exec "$0" "$1" --config "$2"`, process.execPath, cliPath, cfg], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = new RunningCollector(child);
  started.push(c);
  return c;
}

async function startFailure(c: RunningCollector): Promise<string> {
  const exit = await Promise.race([c.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running:\n${c.stdout}\n${c.stderr}`)), 20_000))]);
  expect(exit.code).toBe(1);
  const line = c.logs.find((l) => l.msg === 'collector failed to start');
  expect(line, c.stdout + c.stderr).toBeDefined();
  return String(line!.err);
}

describe('the collector on a read-only, full or forbidden directory (needs root: tmpfs mounts, another uid)', () => {
  // These cases need root (CI runs as root): they fail with the reason instead of skipping.
  beforeAll(() => {
    if (!canMount) throw new Error('these tests need root and `unshare -m` (tmpfs mounts, a collector run as uid 65534); run the suite as root, as .ci/run does');
  });
  it('a read-only file system (the volume was not mounted): start fails naming it', async () => {
    const dir = tempDir();
    const q = path.join(dir, 'queue');
    fs.mkdirSync(q);
    const c = startIn(`mount -t tmpfs -o ro,size=1m tmpfs ${q}`, collectorConfig(dir, q));
    expect(await startFailure(c)).toMatch(/extensions\.file_storage\.directory: cannot write to .*queue: read-only file system \(mount a writable volume there.*\(EROFS\)/);
  });

  it('a full disk: start fails naming it', async () => {
    const dir = tempDir();
    const q = path.join(dir, 'queue');
    fs.mkdirSync(q);
    const c = startIn(`mount -t tmpfs -o size=512k tmpfs ${q}; head -c 600000 /dev/zero > ${q}/filler 2>/dev/null || true`, collectorConfig(dir, q));
    expect(await startFailure(c)).toMatch(/extensions\.file_storage\.directory: (cannot write to .*no space left on device|no space left on device: \d+ KiB free)/);
  });

  it('a directory the collector may not write (runs as another user): start fails naming it', async () => {
    const dir = tempDir();
    const q = path.join(dir, 'queue');
    fs.mkdirSync(q, { mode: 0o755 }); // owned by root, the collector runs as uid 65534
    const child = spawn(process.execPath, [cliPath, '--config', collectorConfig(dir, q)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], uid: 65534, gid: 65534 });
    const c = new RunningCollector(child);
    started.push(c);
    expect(await startFailure(c)).toMatch(/cannot write to .*queue: permission denied \(the collector runs as uid 65534.*\(EACCES\)/);
  });

  it('a disk that fills while running: spans are refused retryably (503), the collector stays up, the cause is logged', async () => {
    const dir = tempDir();
    const q = path.join(dir, 'queue');
    fs.mkdirSync(q);
    const c = startIn(`mount -t tmpfs -o size=3m tmpfs ${q}`, collectorConfig(dir, q));
    await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.', 20_000);
    const port = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening'));
    const body = encodeTraceRequest(makeTraces(200, 'svc', 0));
    const statuses: number[] = [];
    for (let i = 0; i < 200 && !statuses.includes(503); i++) {
      statuses.push((await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })).status);
    }
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(503);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(c.child.exitCode).toBeNull();
    // Still answering (retryably) after the disk filled.
    const again = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(again.status).toBe(503);
    expect(c.stdout).toMatch(/cannot write its persistent queue.*no space left on device/);
    expect(c.stdout).not.toMatch(/unhandled/);
  }, 60_000);
});


/**
 * One storage file: an LMDB environment (lmdb-js) holding a client's key-value data, plus the
 * lease that keeps other collectors out (lease.ts). LMDB is copy-on-write with two alternating
 * meta pages: a write is either entirely in the file or not at all, so a process killed in the
 * middle of a commit (kill -9, OOMKill) reopens at the last committed transaction — no recovery
 * step, no torn record. A write resolves once committed: it survives the process dying. Without
 * `fsync` (the default, as otelcol's bbolt NoSync) the disk is flushed once a second, so a machine
 * crash or power loss can lose the last second and, as with bbolt, can damage the file (found
 * at the next start: a clear error, or `recreate`); `fsync: true` flushes every commit before the
 * write resolves.
 *
 * Compaction (otelcol's `compaction`): LMDB reuses freed pages but never shrinks its file; a
 * compacting copy (mdb_env_copy2 with MDB_CP_COMPACT, lmdb-js `backup(path, true)`) written to
 * the compaction directory then replaces the file. Online (`on_rebound`), client calls wait on a
 * gate while that happens.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { open, TransactionFlags, type Database, type RootDatabase } from 'lmdb';
import type { StorageClient, StorageOperation } from '../storage/storage.js';
import type { FileStorageConfig } from './config.js';
import { decideLease, LEASE_RENEW_MS, pidRunning, type Lease } from './lease.js';
import { describeFsError } from './fs-errors.js';
import { probeLmdbFile } from './probe.js';

export interface SpaceUsage {
  /** The file's high-water mark (pages ever used), in bytes. */
  allocatedBytes: number;
  /** Pages holding data now, in bytes. */
  usedBytes: number;
}

interface Env {
  root: RootDatabase;
  data: Database<Buffer, string>;
  meta: Database<Lease, string>;
}

const CORRUPTION = /MDB_INVALID|MDB_CORRUPTED|MDB_VERSION_MISMATCH|MDB_PAGE_NOTFOUND|MDB_BAD_TXN|MDB_PANIC|not an LMDB file|Invalid argument/;
const LEASE_KEY = 'lease';
/** Without `fsync`: how often committed writes are flushed to disk. */
export const FLUSH_EVERY_MS = 1000;

export class LmdbFile {
  private env?: Env;
  private readonly me: Lease;
  private renewTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  /** Set while the file is being swapped for its compacted copy: client calls wait for it. */
  private gate?: Promise<void>;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly cfg: FileStorageConfig,
    private readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
  ) {
    this.me = { host: os.hostname(), pid: process.pid, token: randomBytes(8).toString('hex'), renewedAt: 0 };
  }

  /** Opens the file (recreating it when corrupt and `recreate` is set), takes the lease, compacts on start. */
  async open(): Promise<void> {
    this.env = await this.openEnv();
    await this.takeLease();
    if (this.cfg.compaction.onStart) await this.compact('on_start');
    this.renewTimer = setInterval(() => this.renewLease(), LEASE_RENEW_MS);
    this.renewTimer.unref();
    if (!this.cfg.fsync) {
      this.flushTimer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
      this.flushTimer.unref();
    }
  }

  /** Flushes committed writes to disk (mdb_env_sync, off the main thread). */
  flush(): Promise<void> {
    const env = this.env;
    if (!env || this.gate) return Promise.resolve();
    return new Promise<void>((resolve) => {
      (env.root as unknown as { sync(cb: (err?: Error) => void): void }).sync((err?: Error) => {
        if (err) this.log.warn({ file: this.file, error: describeFsError(err) }, 'file_storage: flushing to disk failed');
        resolve();
      });
    });
  }

  client(): StorageClient {
    return {
      get: async (key) => {
        const env = await this.ready();
        // getBinary returns a copy the caller owns (getBinaryFast would reuse its buffer).
        return env.data.getBinary(key);
      },
      set: async (key, value) => {
        const env = await this.ready();
        await this.write(env, () => env.data.putSync(key, asBuffer(value)), `write ${key}`);
      },
      delete: async (key) => {
        const env = await this.ready();
        await this.write(env, () => env.data.removeSync(key), `delete ${key}`);
      },
      batch: async (ops: readonly StorageOperation[]) => {
        const env = await this.ready();
        await this.write(
          env,
          () => {
            for (const op of ops) {
              if (op.type === 'set') env.data.putSync(op.key, asBuffer(op.value ?? new Uint8Array(0)));
              else env.data.removeSync(op.key);
            }
          },
          `batch of ${ops.length}`,
        );
      },
      entries: () => this.entries(),
      close: () => this.close(),
    };
  }

  /** Data pages in use vs. the file's high-water mark (for rebound compaction). */
  usage(): SpaceUsage {
    const env = this.env;
    if (!env) return { allocatedBytes: 0, usedBytes: 0 };
    const s = env.root.getStats() as { pageSize: number; lastPageNumber: number };
    let pages = 2; // the two meta pages
    for (const db of [env.root, env.data, env.meta] as Database[]) {
      const d = db.getStats() as { treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
      pages += d.treeBranchPageCount + d.treeLeafPageCount + d.overflowPages;
    }
    return { allocatedBytes: (s.lastPageNumber + 1) * s.pageSize, usedBytes: pages * s.pageSize };
  }

  /** Replaces the file by a compacted copy (written in compaction.directory first). */
  async compact(why: string): Promise<void> {
    if (!this.env || this.gate) return;
    let open!: () => void;
    this.gate = new Promise<void>((r) => (open = r));
    const before = this.usage().allocatedBytes;
    const tmp = path.join(this.cfg.compaction.directory, `tempdb-${path.basename(this.file)}-${randomBytes(4).toString('hex')}`);
    try {
      await this.env.root.committed;
      await this.env.root.backup(tmp, true);
      await this.env.root.close();
      this.env = undefined;
      await replaceFile(tmp, this.file);
      await fs.rm(`${this.file}-lock`, { force: true });
      this.env = await this.openEnv();
      const after = this.usage().allocatedBytes;
      this.log.info({ file: this.file, why, before_bytes: before, after_bytes: after }, 'file_storage: compacted');
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => {});
      if (!this.env) this.env = await this.openEnv();
      this.gate = undefined;
      open();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.gate;
    const env = this.env;
    if (!env) return;
    try {
      await env.root.committed;
      await this.flush();
      env.meta.transactionSync(() => {
        if (env.meta.get(LEASE_KEY)?.token === this.me.token) env.meta.removeSync(LEASE_KEY);
      });
      await env.root.flushed;
    } finally {
      this.env = undefined;
      await env.root.close();
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  private async ready(): Promise<Env> {
    if (this.gate) await this.gate;
    if (!this.env) throw new Error(`file_storage: ${this.file} is closed`);
    return this.env;
  }

  /**
   * One committed write transaction, synchronous (~0.1 ms for a batch): a failed commit (disk
   * full) is thrown right here with its errno, and the file stays usable once space is back.
   * lmdb-js's asynchronous writes report such a failure through extra promises that nobody can
   * handle, and could leave the caller waiting. The commit is flushed to disk only with `fsync`
   * (the environment's noSync otherwise; see openEnvOnce).
   */
  private async write(env: Env, op: () => unknown, what: string): Promise<void> {
    try {
      env.data.transactionSync(op, TransactionFlags.SYNCHRONOUS_COMMIT);
    } catch (e) {
      throw new Error(`file_storage: ${what} in ${this.file} failed: ${describeFsError(e)}${await freeSpaceNote(this.file)}`, { cause: e });
    }
  }

  private async *entries(): AsyncIterable<{ key: string; value: Uint8Array }> {
    const env = await this.ready();
    for (const { key, value } of env.data.getRange()) {
      yield { key: String(key), value: value as Uint8Array };
    }
  }

  private async openEnv(): Promise<Env> {
    let problem: string | undefined;
    if (await exists(this.file)) {
      const probe = await probeLmdbFile(this.file);
      if (!probe.ok) problem = probe.problem;
    }
    if (problem === undefined) {
      try {
        return this.openEnvOnce();
      } catch (e) {
        const text = (e as Error).message ?? String(e);
        if (!CORRUPTION.test(text)) throw new Error(`file_storage: cannot open ${this.file}: ${describeFsError(e)}`, { cause: e });
        problem = text;
      }
    }
    if (!this.cfg.recreate) {
      throw new Error(
        `file_storage: ${this.file} is damaged and cannot be opened (${problem}); move it aside, or set recreate: true to keep it as ${path.basename(this.file)}.backup and start a new one`,
      );
    }
    const backup = `${this.file}.backup`;
    await fs.rename(this.file, backup);
    await fs.rm(`${this.file}-lock`, { force: true });
    this.log.warn({ file: this.file, backup, error: problem }, 'file_storage: damaged file kept aside (recreate: true); starting a new one — what it held is not sent');
    return this.openEnvOnce();
  }

  private openEnvOnce(): Env {
    const root = open<Buffer, string>({
      path: this.file,
      noSubdir: true,
      encoding: 'binary',
      maxDbs: 4,
      // Without `fsync` (otelcol's default, bbolt's NoSync): a commit is in the OS page cache
      // (it survives the process dying) and the disk is flushed once a second (FLUSH_EVERY_MS).
      // Flushing every commit costs ~0.5 ms of CPU per batch here (measured), more than the rest
      // of the queue. With `fsync` every commit is flushed before the write resolves.
      noSync: !this.cfg.fsync,
      overlappingSync: false,
    });
    try {
      const data = root.openDB<Buffer, string>('data', { encoding: 'binary' });
      const meta = root.openDB<Lease, string>('meta', { encoding: 'msgpack' });
      // Opening named databases reads the root tree: a damaged file fails here at the latest.
      data.getStats();
      meta.get(LEASE_KEY);
      return { root, data, meta };
    } catch (e) {
      void root.close();
      throw e;
    }
  }

  private async takeLease(): Promise<void> {
    const deadline = Date.now() + this.cfg.timeoutMs;
    for (;;) {
      const env = this.env!;
      let why = '';
      let taken: boolean;
      try {
        taken = env.meta.transactionSync(() => {
          const d = decideLease(env.meta.get(LEASE_KEY), this.me, Date.now(), pidRunning);
          why = d.why;
          if (d.take) env.meta.putSync(LEASE_KEY, { ...this.me, renewedAt: Date.now() });
          return d.take;
        });
      } catch (e) {
        throw new Error(`file_storage: cannot write to ${this.file}: ${describeFsError(e)}${await freeSpaceNote(this.file)}`, { cause: e });
      }
      if (taken) return;
      if (Date.now() >= deadline) {
        throw new Error(`file_storage: ${this.file} is ${why}; waited ${this.cfg.timeoutMs}ms (timeout) for it. Two collectors must not share one directory: give each its own volume`);
      }
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
  }

  private renewLease(): void {
    const env = this.env;
    if (!env || this.gate) return;
    try {
      env.meta.transactionSync(() => {
        const cur = env.meta.get(LEASE_KEY);
        if (cur && cur.token !== this.me.token) {
          this.log.warn({ file: this.file, holder: `${cur.pid}@${cur.host}` }, 'file_storage: another collector took this file over (this process stalled for too long?)');
          return;
        }
        env.meta.putSync(LEASE_KEY, { ...this.me, renewedAt: Date.now() });
      });
    } catch (e) {
      this.log.warn({ file: this.file, error: describeFsError(e) }, 'file_storage: cannot renew the lease');
    }
  }
}

/** " (N KiB free …)" when the file system is (nearly) full: LMDB reports a full tmpfs as EIO. */
async function freeSpaceNote(file: string): Promise<string> {
  try {
    const s = await fs.statfs(path.dirname(file));
    const free = s.bavail * s.bsize;
    return free < 4 * 1024 * 1024 ? `; no space left on device: ${Math.floor(free / 1024)} KiB free` : '';
  } catch {
    return '';
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function asBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Moves `from` over `to`, also across file systems (compaction.directory may be elsewhere). */
async function replaceFile(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const staged = `${to}.compacting`;
    await fs.copyFile(from, staged);
    await fs.rename(staged, to);
  }
}

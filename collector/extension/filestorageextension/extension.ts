/**
 * The `file_storage` extension: persistent key-value storage for other components, one LMDB
 * file per client in `directory` (named as otelcol names them, names.ts). Start checks the
 * directory — exists (or `create_directory`), is a directory, can be written, has free space —
 * and fails with a message that says what is wrong and what to do, instead of failing on the
 * first span. Clients are opened by the components that use them (an exporter's persistent
 * sending queue, in its start()).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ComponentKind, CreateSettings, Host } from '../../component/component.js';
import type { StorageClient, StorageExtension } from '../storage/storage.js';
import type { FileStorageConfig } from './config.js';
import { describeFsError } from './fs-errors.js';
import { LmdbFile } from './lmdb-file.js';
import { clientFileName } from './names.js';

/** Less free space than this at start is a full disk. */
export const MIN_FREE_BYTES = 1024 * 1024;
const MiB = 1024 * 1024;

export class FileStorageExtension implements StorageExtension {
  private readonly files = new Map<string, LmdbFile>();
  private reboundTimer?: NodeJS.Timeout;
  private readonly needsCompaction = new Set<LmdbFile>();
  private started = false;

  constructor(
    readonly cfg: FileStorageConfig,
    private readonly settings: CreateSettings,
  ) {}

  async start(_host?: Host): Promise<void> {
    const { cfg } = this;
    await this.checkDirectory(cfg.directory, 'directory');
    if (cfg.compaction.directory !== cfg.directory) await this.checkDirectory(cfg.compaction.directory, 'compaction.directory');
    if (cfg.compaction.cleanupOnStart) await this.cleanupTemporaryFiles();
    if (cfg.compaction.onRebound) {
      this.reboundTimer = setInterval(() => void this.checkRebound(), cfg.compaction.checkIntervalMs);
      this.reboundTimer.unref();
    }
    this.started = true;
  }

  async getClient(kind: ComponentKind, id: string, name: string): Promise<StorageClient> {
    if (!this.started) throw new Error(`file_storage "${this.settings.id}" is not started`);
    const file = path.join(this.cfg.directory, clientFileName(kind, id, name));
    if (this.files.has(file)) throw new Error(`file_storage: ${file} is already open (one client per component and name)`);
    const f = new LmdbFile(file, this.cfg, this.settings.logger);
    await f.open();
    this.files.set(file, f);
    const client = f.client();
    return {
      ...client,
      close: async () => {
        this.files.delete(file);
        this.needsCompaction.delete(f);
        await client.close();
      },
    };
  }

  async shutdown(_deadline?: AbortSignal): Promise<void> {
    if (this.reboundTimer) clearInterval(this.reboundTimer);
    // Clients are closed by their components; close what they left open.
    await Promise.allSettled([...this.files.values()].map((f) => f.close()));
    this.files.clear();
  }

  /** One rebound check (exported through the class for tests): flag big files, compact drained ones. */
  async checkRebound(): Promise<void> {
    const c = this.cfg.compaction;
    for (const f of this.files.values()) {
      const u = f.usage();
      if (u.allocatedBytes > c.reboundNeededThresholdMiB * MiB) this.needsCompaction.add(f);
      if (this.needsCompaction.has(f) && u.usedBytes < c.reboundTriggerThresholdMiB * MiB) {
        this.needsCompaction.delete(f);
        try {
          await f.compact('on_rebound');
        } catch (e) {
          this.settings.logger.warn({ file: f.file, error: describeFsError(e) }, 'file_storage: rebound compaction failed');
        }
      }
    }
  }

  private async checkDirectory(dir: string, key: string): Promise<void> {
    const id = this.settings.id;
    const where = `extensions.${id}.${key}`;
    let st;
    try {
      st = await fs.stat(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${where}: cannot use ${dir}: ${describeFsError(e)}`);
      if (!this.cfg.createDirectory) {
        throw new Error(`${where}: ${dir} does not exist (create it, mount a volume there, or set create_directory: true)`);
      }
      try {
        await fs.mkdir(dir, { recursive: true, mode: this.cfg.directoryPermissions });
      } catch (e2) {
        throw new Error(`${where}: cannot create ${dir}: ${describeFsError(e2)}`);
      }
      st = await fs.stat(dir);
    }
    if (!st.isDirectory()) throw new Error(`${where}: ${dir} is not a directory`);
    // A real write (and its flush): permission bits alone do not reveal a read-only mount or a full disk.
    const probe = path.join(dir, `.file_storage-probe-${process.pid}`);
    try {
      const fh = await fs.open(probe, 'w');
      try {
        await fh.write(Buffer.alloc(4096));
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new Error(`${where}: cannot write to ${dir}: ${describeFsError(e)}`);
    } finally {
      await fs.rm(probe, { force: true }).catch(() => {});
    }
    const s = await fs.statfs(dir);
    const free = s.bavail * s.bsize;
    if (free < MIN_FREE_BYTES) {
      throw new Error(`${where}: no space left on device: ${Math.floor(free / 1024)} KiB free on the file system of ${dir} (at least ${MIN_FREE_BYTES / 1024} KiB needed)`);
    }
  }

  private async cleanupTemporaryFiles(): Promise<void> {
    const dir = this.cfg.compaction.directory;
    for (const name of await fs.readdir(dir)) {
      if (!name.startsWith('tempdb')) continue;
      await fs.rm(path.join(dir, name), { force: true });
      this.settings.logger.info({ file: path.join(dir, name) }, 'file_storage: removed a compaction leftover');
    }
  }
}

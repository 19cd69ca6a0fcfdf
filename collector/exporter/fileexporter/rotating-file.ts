/**
 * An append-only file with size-based rotation, after lumberjack (what the Collector's file
 * exporter uses): when a write would pass max_megabytes, the file is renamed to
 * `<name>-<YYYY-MM-DDTHH-MM-SS.mmm><ext>` and a new one opened; backups beyond max_backups or
 * older than max_days are removed. Each write is one whole line through one write(2) call on an
 * O_APPEND descriptor, so a line is never interleaved or half-rotated.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RotationConfig } from './config.js';

const MiB = 1024 * 1024;

export function backupName(file: string, when: Date, localtime: boolean): string {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const d = localtime ? new Date(when.getTime() - when.getTimezoneOffset() * 60_000) : when;
  const stamp = d.toISOString().slice(0, 23).replace(/:/g, '-');
  return `${base}-${stamp}${ext}`;
}

export class RotatingFile {
  private fd: number | undefined;
  private size = 0;

  constructor(
    readonly file: string,
    private readonly rotation: RotationConfig | null,
    append: boolean,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.open(append || rotation !== null ? 'a' : 'w');
  }

  private open(flags: 'a' | 'w'): void {
    this.fd = fs.openSync(this.file, flags, 0o644);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Appends one whole line (bytes are written before this returns, so a reused buffer is safe). */
  write(data: string | Uint8Array): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.rotation && this.size > 0 && this.size + buf.length > this.rotation.maxMegabytes * MiB) this.rotate();
    if (this.fd === undefined) throw new Error(`${this.file} is closed`);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
  }

  /** Renames the current file to a timestamped backup, opens a new one, prunes old backups. */
  rotate(): void {
    if (!this.rotation) return;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    // Two rotations within one millisecond must not overwrite a backup: step the stamp forward.
    let when = Date.now();
    let target = backupName(this.file, new Date(when), this.rotation.localtime);
    while (fs.existsSync(target)) target = backupName(this.file, new Date(++when), this.rotation.localtime);
    fs.renameSync(this.file, target);
    this.open('a');
    this.prune();
  }

  /** Backups of this file, newest first. */
  backups(): string[] {
    const dir = path.dirname(this.file);
    const ext = path.extname(this.file);
    const prefix = path.basename(this.file, ext) + '-';
    return fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith(ext) && /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}$/.test(f.slice(prefix.length, f.length - ext.length)))
      .sort()
      .reverse()
      .map((f) => path.join(dir, f));
  }

  private prune(): void {
    if (!this.rotation) return;
    const { maxBackups, maxDays } = this.rotation;
    const cutoff = Date.now() - maxDays * 86_400_000;
    this.backups().forEach((f, i) => {
      const tooMany = maxBackups > 0 && i >= maxBackups;
      const tooOld = maxDays > 0 && fs.statSync(f).mtimeMs < cutoff;
      if (tooMany || tooOld) fs.rmSync(f, { force: true });
    });
  }

  /** Flushes to disk and closes. */
  close(): void {
    if (this.fd === undefined) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

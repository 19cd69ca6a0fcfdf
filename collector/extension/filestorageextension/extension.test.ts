/**
 * The file_storage extension on a real LMDB file in a temporary directory: start-time checks with
 * their messages, the client round trip across restarts, compaction (on start and on rebound),
 * damaged files with and without `recreate`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Host } from '../../component/component.js';
import { ConfigIssues } from '../../config/issues.js';
import { testSettings } from '../../exporter/exporterhelper/testutil.js';
import type { StorageClient } from '../storage/storage.js';
import { parseFileStorageConfig } from './config.js';
import { FileStorageExtension } from './extension.js';

const host = {} as Host;
const never = () => new AbortController().signal;
const open: FileStorageExtension[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.shutdown(never());
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mt-fs-'));
}

function ext(raw: Record<string, unknown>): FileStorageExtension {
  const issues = new ConfigIssues();
  const cfg = parseFileStorageConfig(raw, 'extensions.file_storage', issues);
  expect(issues.errors).toEqual([]);
  const e = new FileStorageExtension(cfg, testSettings('file_storage'));
  open.push(e);
  return e;
}

async function client(raw: Record<string, unknown>, id = 'otlphttp/a'): Promise<{ e: FileStorageExtension; c: StorageClient }> {
  const e = ext(raw);
  await e.start(host);
  return { e, c: await e.getClient('exporter', id, 'traces') };
}

async function keys(c: StorageClient): Promise<string[]> {
  const out: string[] = [];
  for await (const { key } of c.entries()) out.push(key);
  return out;
}

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('file_storage: start-time checks', () => {
  it('a missing directory is an error that says what to do; create_directory creates it with directory_permissions', async () => {
    const dir = path.join(tempDir(), 'a', 'b');
    await expect(ext({ directory: dir }).start(host)).rejects.toThrow(/extensions\.file_storage\.directory: .*a\/b does not exist \(create it, mount a volume there, or set create_directory: true\)/);
    await ext({ directory: dir, create_directory: true, directory_permissions: '0700' }).start(host);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700 & ~process.umask());
  });

  it('a file where the directory should be is an error', async () => {
    const file = path.join(tempDir(), 'f');
    fs.writeFileSync(file, 'x');
    await expect(ext({ directory: file }).start(host)).rejects.toThrow(/is not a directory/);
  });

  it('cleanup_on_start removes compaction leftovers (tempdb*) and nothing else', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'tempdb-exporter_x-1'), 'left by a kill during compaction');
    fs.writeFileSync(path.join(dir, 'keep-me'), 'x');
    await ext({ directory: dir, compaction: { cleanup_on_start: true } }).start(host);
    expect(fs.readdirSync(dir).sort()).toEqual(['keep-me']);
  });
});

describe('file_storage: clients', () => {
  it('set/get/delete/batch, entries in key order, and everything is there after a restart', async () => {
    const dir = tempDir();
    const { e, c } = await client({ directory: dir });
    await c.set('0002', bytes(70_000, 2));
    await c.set('0001', bytes(3, 1));
    await c.batch([
      { type: 'set', key: '0003', value: bytes(5, 3) },
      { type: 'set', key: '0004', value: bytes(5, 4) },
      { type: 'delete', key: '0001' },
    ]);
    await c.delete('0004');
    expect(await keys(c)).toEqual(['0002', '0003']);
    expect(await c.get('0001')).toBeUndefined();
    await c.close();
    await e.shutdown(never());
    expect(fs.readdirSync(dir)).toContain('exporter_otlphttp_a_traces');

    const { c: again } = await client({ directory: dir, fsync: true });
    expect(await keys(again)).toEqual(['0002', '0003']);
    expect(await again.get('0002')).toEqual(bytes(70_000, 2));
    await again.set('0005', bytes(1, 5)); // fsync: resolves once flushed
    expect(await again.get('0005')).toEqual(bytes(1, 5));
  });

  it('one client per component and name', async () => {
    const { e } = await client({ directory: tempDir() });
    await expect(e.getClient('exporter', 'otlphttp/a', 'traces')).rejects.toThrow(/already open/);
  });

  it('compaction.on_start gives the space of a drained queue back', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'exporter_otlphttp_a_traces');
    const { e, c } = await client({ directory: dir });
    for (let i = 0; i < 40; i++) await c.set(String(i).padStart(4, '0'), bytes(250_000, i));
    for (let i = 0; i < 40; i++) await c.delete(String(i).padStart(4, '0'));
    await c.set('keep', bytes(10, 7));
    await c.close();
    await e.shutdown(never());
    const before = fs.statSync(file).size;
    const { c: compacted } = await client({ directory: dir, compaction: { on_start: true } });
    const after = fs.statSync(file).size;
    expect(before).toBeGreaterThan(8 * 1024 * 1024);
    expect(after).toBeLessThan(before / 10);
    expect(await compacted.get('keep')).toEqual(bytes(10, 7));
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('tempdb'))).toEqual([]);
  });

  it('compaction.on_rebound: flagged when the file grows past rebound_needed, compacted online once the data falls below rebound_trigger', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'exporter_otlphttp_a_traces');
    const { e, c } = await client({ directory: dir, compaction: { on_rebound: true, rebound_needed_threshold_mib: 2, rebound_trigger_threshold_mib: 1, check_interval: '1h' } });
    for (let i = 0; i < 12; i++) await c.set(String(i).padStart(4, '0'), bytes(250_000, i));
    await e.checkRebound(); // 3 MB in use: flagged, not compacted
    const grown = fs.statSync(file).size;
    for (let i = 1; i < 12; i++) await c.delete(String(i).padStart(4, '0'));
    // A write while compacting waits for it and lands in the new file.
    const during = Promise.all([e.checkRebound(), c.set('late', bytes(4, 9))]);
    await during;
    expect(fs.statSync(file).size).toBeLessThan(grown / 4);
    expect(await keys(c)).toEqual(['0000', 'late']);
    expect(await c.get('0000')).toEqual(bytes(250_000, 0));
  });

  it('a damaged file: a clear error naming it and the way out; with recreate it is kept as .backup and a new one starts', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'exporter_otlphttp_a_traces');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0x5a)); // not an LMDB file at all
    const e = ext({ directory: dir });
    await e.start(host);
    await expect(e.getClient('exporter', 'otlphttp/a', 'traces')).rejects.toThrow(/exporter_otlphttp_a_traces is damaged and cannot be opened .*set recreate: true/);
    const { c } = await client({ directory: dir, recreate: true });
    expect(fs.readFileSync(`${file}.backup`)).toEqual(Buffer.alloc(64 * 1024, 0x5a));
    await c.set('k', bytes(1, 1));
    expect(await keys(c)).toEqual(['k']);
  });
});

/**
 * Checks an existing LMDB file in a child process before this process maps it. LMDB trusts its
 * file: a damaged one (a torn copy, garbage, a truncated file) can crash the process that opens
 * it (SIGSEGV on a bad meta page, SIGBUS reading past the end of a truncated file) instead of
 * returning an error. The child opens the file read-only and reads every entry of every
 * database, so whatever would crash crashes there, and the collector reports a damaged file.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const PROBE = `
const [lmdbPath, file] = process.argv.slice(1);
const { open } = require(lmdbPath);
const root = open({ path: file, noSubdir: true, readOnly: true, encoding: 'binary', maxDbs: 4 });
let bytes = 0;
for (const { value } of root.getRange()) bytes += value ? value.length : 0;
for (const name of ['data', 'meta']) {
  let db;
  try { db = root.openDB(name, { encoding: 'binary' }); } catch (e) { if (/MDB_NOTFOUND|not found/i.test(e.message)) continue; throw e; }
  if (!db) continue;
  for (const { value } of db.getRange()) bytes += value ? value.length : 0;
}
process.stdout.write(String(bytes));
`;

export type ProbeResult = { ok: true } | { ok: false; problem: string };

export function probeLmdbFile(file: string, timeoutMs = 120_000): Promise<ProbeResult> {
  const lmdbPath = createRequire(import.meta.url).resolve('lmdb');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', PROBE, lmdbPath, file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, problem: `cannot run the check: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ ok: true });
      const why = signal ? `reading it crashed the checking process (${signal})` : (/Error: (.*)/.exec(stderr)?.[1] ?? `check failed with exit code ${code}`);
      resolve({ ok: false, problem: why });
    });
  });
}

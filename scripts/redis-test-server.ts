/**
 * Starts a throwaway redis-server for tests: a free port on 127.0.0.1, a temporary directory, no
 * persistence (no RDB snapshots, no AOF), removed again by stop(). Uses Debian's `redis-server`
 * (CI's .ci/run installs it). When it is missing, start fails with a message saying how to install
 * it — tests that need a real Redis must fail, not silently skip.
 *
 *   const redis = await startRedisTestServer();   // { url: 'redis://127.0.0.1:PORT', port, stop }
 *   ...
 *   await redis.stop();
 *
 * Also runnable after `npm run build:ts`: `node dist/scripts/redis-test-server.js` prints the URL
 * and keeps the server until Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisTestServer {
  url: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
  /** Suspends (SIGSTOP) / resumes (SIGCONT) the server, to test timeouts on a hung Redis. */
  pause(): void;
  resume(): void;
}

export const REDIS_INSTALL_HINT =
  'redis-server is not installed. Install it with `apt-get update && apt-get install -y redis-server` ' +
  '(Debian/Ubuntu; CI does this in .ci/run) — the X-Ray epoch-store tests need a real Redis.';

export function findRedisServer(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'redis-server' : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    sock.once('connect', () => sock.write('PING\r\n'));
  });
}

async function startOnce(): Promise<RedisTestServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'meshtrace-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d.toString()));
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await ping(port)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        pid: child.pid!,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        stop: async () => {
          if (!exited) {
            child.kill('SIGCONT');
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 2000);
            await exitedP;
            clearTimeout(t);
          }
          cleanup();
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!exited) child.kill('SIGKILL');
  await exitedP;
  cleanup();
  throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || 'no answer to PING'}`);
}

export async function startRedisTestServer(): Promise<RedisTestServer> {
  if (!findRedisServer()) throw new Error(REDIS_INSTALL_HINT);
  let last: unknown;
  // The free port can be taken between probing and binding: try a few times.
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce();
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

if (process.argv[1] && /redis-test-server\.(ts|js)$/.test(process.argv[1])) {
  startRedisTestServer().then(
    (s) => {
      process.stdout.write(`${s.url}\n`);
      const stop = () => void s.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}

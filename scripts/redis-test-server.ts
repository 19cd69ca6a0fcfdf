/**
 * Starts a throwaway redis-server for tests: a free port on 127.0.0.1, a temporary directory, no
 * persistence (no RDB snapshots, no AOF), removed again by stop(). Uses Debian's `redis-server`
 * (CI's .ci/run installs it). When it is missing, start fails with a message saying how to install
 * it — tests that need a real Redis must fail, not silently skip.
 *
 * Like the deployment's Redis (manifests/redis), it requires a password by default (`requirepass`,
 * a random one per server): `url` carries it (`redis://:PASSWORD@127.0.0.1:PORT`), `bareUrl` does
 * not. `{ username }` adds an ACL user with that password instead (and disables the default
 * user); `{ password: null }` starts an open server.
 *
 *   const redis = await startRedisTestServer();   // { url: 'redis://:PW@127.0.0.1:PORT', password, port, stop }
 *   ...
 *   await redis.stop();
 *
 * Also runnable after `npm run build:ts`: `node dist/scripts/redis-test-server.js` prints the URL
 * and keeps the server until Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisTestServerOptions {
  /** The password the server requires; default: a random one; null: no AUTH at all. */
  password?: string | null;
  /** An ACL user (Redis 6+) with `password`; the default user is then disabled. */
  username?: string;
  /** More server arguments, after the defaults (e.g. a Deployment's own `args`). */
  extraArgs?: readonly string[];
}

export interface RedisTestServer {
  /** With the credentials: `redis://[user]:password@127.0.0.1:PORT`. */
  url: string;
  /** Without credentials: `redis://127.0.0.1:PORT`. */
  bareUrl: string;
  password: string | null;
  username?: string;
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

/** RESP encoding of one command (AUTH arguments may hold any byte). */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

function ping(port: number, auth: string[]): Promise<boolean> {
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
      if (buf.startsWith('-') && buf.includes('\r\n')) done(false);
      else if (buf.includes('+PONG\r\n')) done(true);
    });
    sock.once('connect', () => sock.write((auth.length > 0 ? resp(['AUTH', ...auth]) : '') + resp(['PING'])));
  });
}

/** The server's AUTH arguments: a password alone (requirepass) or an ACL user that replaces the default one. */
function authArgs(password: string | null, username: string | undefined): { server: string[]; client: string[] } {
  if (password === null) return { server: [], client: [] };
  if (username === undefined) return { server: ['--requirepass', password], client: [password] };
  return { server: ['--user', 'default', 'off', '--user', username, 'on', `>${password}`, '~*', '&*', '+@all'], client: [username, password] };
}

async function startOnce(opts: RedisTestServerOptions): Promise<RedisTestServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'meshtrace-redis-'));
  const password = opts.password === undefined ? randomBytes(16).toString('hex') : opts.password;
  if (opts.username !== undefined && password === null) throw new Error('an ACL user needs a password');
  const auth = authArgs(password, opts.username);
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...auth.server, ...(opts.extraArgs ?? [])],
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
    if (await ping(port, auth.client)) {
      const userinfo = password === null ? '' : `${encodeURIComponent(opts.username ?? '')}:${encodeURIComponent(password)}@`;
      return {
        url: `redis://${userinfo}127.0.0.1:${port}`,
        bareUrl: `redis://127.0.0.1:${port}`,
        password,
        username: opts.username,
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

export async function startRedisTestServer(opts: RedisTestServerOptions = {}): Promise<RedisTestServer> {
  if (!findRedisServer()) throw new Error(REDIS_INSTALL_HINT);
  let last: unknown;
  // The free port can be taken between probing and binding: try a few times.
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(opts);
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

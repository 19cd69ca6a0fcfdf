/**
 * Who may use a storage file. LMDB lets several processes open one file at once, which for a
 * sending queue would mean two collectors sending (and deleting) the same batches: otelcol's
 * bbolt takes an exclusive file lock instead, waiting at most `timeout` for it. The same guarantee
 * here is a lease record inside the file, taken and renewed in LMDB write transactions (which
 * LMDB serialises across processes), so taking it is atomic.
 *
 * A lease is free when nobody holds it, when it is ours, when its holder is gone on this host
 * (same hostname — a restarted container keeps its pod's hostname — and its PID is not running,
 * or is our own PID: the previous run of this container), or when it was not renewed for
 * LEASE_STALE_MS (a holder on another host that died without releasing it).
 */
export interface Lease {
  host: string;
  pid: number;
  /** Random per process: tells this process from an earlier one that had the same PID. */
  token: string;
  renewedAt: number;
}

export const LEASE_RENEW_MS = 2_000;
export const LEASE_STALE_MS = 30_000;

export type LeaseDecision = { take: true; why: string } | { take: false; why: string };

export function decideLease(
  current: Lease | undefined,
  me: Lease,
  now: number,
  isRunning: (pid: number) => boolean,
): LeaseDecision {
  if (!current) return { take: true, why: 'free' };
  if (current.token === me.token) return { take: true, why: 'ours' };
  if (current.host === me.host) {
    if (current.pid === me.pid) return { take: true, why: `left by an earlier run of this process (pid ${current.pid})` };
    if (!isRunning(current.pid)) return { take: true, why: `its holder (pid ${current.pid}) is gone` };
  }
  const age = now - current.renewedAt;
  if (age > LEASE_STALE_MS) return { take: true, why: `not renewed for ${Math.round(age / 1000)}s` };
  return { take: false, why: `in use by pid ${current.pid} on ${current.host} (renewed ${Math.max(0, Math.round(age / 1000))}s ago)` };
}

/** Whether a PID is running on this host (signal 0 probes without sending anything). */
export function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

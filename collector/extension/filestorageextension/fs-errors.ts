/**
 * File-system errors in words a user can act on: the errno code, what it means here, and what to
 * do (the collector usually runs read-only with a volume mounted for its queue).
 */
const HINTS: Record<string, string> = {
  EACCES: `permission denied (the collector runs as uid ${process.getuid?.() ?? '?'}: make the directory writable for it, e.g. with the pod's fsGroup)`,
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system (mount a writable volume there, e.g. an emptyDir or a PersistentVolumeClaim)',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = err?.code;
  const message = err?.message ?? String(e);
  if (code && HINTS[code]) return `${HINTS[code]} (${code})`;
  for (const [c, hint] of Object.entries(HINTS)) if (message.includes(c)) return `${hint} (${c})`;
  if (/No space left on device|MDB_MAP_FULL/i.test(message)) return `${HINTS.ENOSPC} (${message})`;
  if (/Permission denied/i.test(message)) return `${HINTS.EACCES} (${message})`;
  if (/Read-only file system/i.test(message)) return `${HINTS.EROFS} (${message})`;
  return message;
}

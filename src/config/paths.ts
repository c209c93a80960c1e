// Where memrec keeps its files when nobody says otherwise.
import path from 'node:path';

export const SYSTEM_DB_PATH = '/var/lib/memrec/memrec.db';
export const SYSTEM_CONFIG_PATH = '/etc/memrec/memrec.yaml';

/**
 * The default database: the system path as root (the daemon), else the XDG state directory
 * ($XDG_STATE_HOME, or ~/.local/state) so that an unprivileged try-out writes nothing system-wide.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv, uid: number): string {
  if (uid === 0) return SYSTEM_DB_PATH;
  const xdg = env['XDG_STATE_HOME'];
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'memrec', 'memrec.db');
  const home = env['HOME'];
  if (home === undefined || home === '') return path.resolve('.local', 'state', 'memrec', 'memrec.db');
  return path.join(home, '.local', 'state', 'memrec', 'memrec.db');
}

/** --db, else MEMREC_DB, else the default: for commands that only need the database (status, snapshot). */
export function resolveDbPath(flag: string | undefined, env: NodeJS.ProcessEnv, uid: number): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env['MEMREC_DB'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return defaultDbPath(env, uid);
}

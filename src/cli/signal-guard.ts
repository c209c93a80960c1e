// Imported first by bin.ts, before anything else runs. On SIGUSR1 node opens its inspector (a debugger on
// 127.0.0.1:9229 that runs any code it is sent): in memrec, which runs as root, that would let any local
// user who can signal it run code as root. With a JavaScript listener for SIGUSR1 installed, node does not
// open the inspector. The listener stays for the whole run: removing it would give SIGUSR1 its default
// action, which kills. (node 22.14+ has --disable-sigusr1; node 20 has not.)

/** Flags that make node open an inspector at start. */
const OPENS_INSPECTOR = /^--(inspect|inspect-brk|inspect-wait|debug|debug-brk)(=|$)/;

process.on('SIGUSR1', () => {
  /* a debugger is never opened; the recorder logs the signal */
});

/**
 * Why a Node inspector is open or will be, or null: one listening now (also one opened by a SIGUSR1 that
 * arrived before the listener above), an inspect flag among node's own flags, or one in NODE_OPTIONS.
 * An open one is closed. (node:inspector is loaded here, not at start: only the recorder asks.)
 */
export async function inspectorCause(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const { default: inspector } = await import('node:inspector');
  const url = inspector.url();
  if (url !== undefined) {
    inspector.close();
    return `a Node inspector is listening (${url})`;
  }
  const flag = execArgv.find((a) => OPENS_INSPECTOR.test(a));
  if (flag !== undefined) return `node was started with ${flag}`;
  const fromEnv = (env['NODE_OPTIONS'] ?? '').split(/\s+/).find((a) => OPENS_INSPECTOR.test(a));
  if (fromEnv !== undefined) return `NODE_OPTIONS holds ${fromEnv}`;
  return null;
}

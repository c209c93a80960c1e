// The CLI as a process, loaded by bin.ts once the Node version is known to be good.
// first: from here on SIGUSR1 cannot open a debugger (signal-guard.ts says why)
import './signal-guard.js';
import { processIo } from './io.js';
import { main } from './main.js';

// A closed stdout (`memrec query | head`) ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2), processIo());

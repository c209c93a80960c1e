#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// The flags: a report streaming a month of rows with 100 KB command lines makes short-lived strings faster
// than V8's default 16 MiB semi-spaces and lazy old-space collection give back; with these every report
// command stays under 100 MiB RSS (BENCHMARKS.md, Report memory). Node reads them only at start, so they are
// on the #! line (GNU env -S: Debian's coreutils, the node:20-slim image).
// memrec's entry point. It checks the Node version before loading anything an older Node cannot run
// (better-sqlite3 12 is built for Node 20's ABI; the code uses Node 20 APIs), so that Debian 12's and
// Ubuntu's Node 18 get one line instead of a stack. It imports nothing and stays within ES2019 syntax
// (no ?., no ??, no top-level await) so that Node 12 and later can parse it and print that line.
const REQUIRED_MAJOR = 20;

// First of all: with a JavaScript listener for SIGUSR1, node never opens its inspector (a debugger that
// runs any code it is sent, in a root process). run.ts loads signal-guard.ts, which says more.
process.on('SIGUSR1', function () {});

const match = /^v?(\d+)\./.exec(process.versions.node);
const major = match ? Number(match[1]) : NaN;
if (!(major >= REQUIRED_MAJOR)) {
  process.stderr.write(
    `memrec: needs Node.js ${REQUIRED_MAJOR} or newer, but ${process.execPath} is Node.js ${process.versions.node}; ` +
      `install Node.js ${REQUIRED_MAJOR} (README, "Install": NodeSource on Debian/Ubuntu, dnf module nodejs:${REQUIRED_MAJOR} on RHEL)\n`,
  );
  process.exitCode = 1;
} else {
  void import('./run.js');
}

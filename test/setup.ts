// Run by `npm test` before the suite (package.json pretest): the one place that prepares a machine.
// - As root with apt-get: installs the Debian packages of the programs the tests need that are missing
//   (test/helpers/tools.ts), with one apt-get update first, saying in one line what it installs.
//   Elsewhere it says in one line what is missing; the tests that need it fail, naming it.
// - Removes the test cgroups a killed run left behind (only those whose creating process is gone).
// - Not root: says once that the real-kernel tests will skip (each also says why in the report).
import { sweepStaleCgroups } from './helpers/cgroup.js';
import { installMissing, say, TOOLS } from './helpers/tools.js';

installMissing(TOOLS);
for (const cg of await sweepStaleCgroups()) say(`removed test cgroup ${cg}: the run that made it is gone`);
if (process.getuid?.() !== 0) {
  say('not root: the tests on the real kernel (memory cgroups, OOM kills, tmpfs, running as nobody) are skipped, each saying why');
}

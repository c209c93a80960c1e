// The example's entry point (examples/incident.sh creates the cgroup and cleans up): replays the incident
// in that cgroup, then shows what memrec answers the morning after and writes the HTML postmortem.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExistingCgroup } from './cgroup.js';
import { MEMREC_BIN, runIncident } from './scenario.js';
import { verdict } from './verdict.js';

const MiB = 1024 * 1024;

function memrec(args: string[]): number {
  process.stdout.write(`\n$ memrec ${args.join(' ')}\n`);
  // Only the flags given count, as for the recorder; and memrec refuses MEMREC_* variables it does not know,
  // such as this script's own MEMREC_INCIDENT_LIMIT_MIB.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
  const r = spawnSync(process.execPath, [MEMREC_BIN, ...args], { stdio: 'inherit', env });
  return r.status ?? 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { cgroup: { type: 'string' }, dir: { type: 'string' }, out: { type: 'string' }, limit: { type: 'string' } } });
  const { cgroup, dir, out } = values;
  const limitMiB = Number(values.limit ?? '1024');
  if (cgroup === undefined || dir === undefined || out === undefined || !(limitMiB >= 256)) {
    process.stderr.write('usage: main.js --cgroup /memrec-incident-XXXX --dir TMPDIR --out OUTDIR [--limit MIB (>= 256)]\n');
    return 2;
  }
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const db = path.join(out, 'memrec.db');
  const log = (line: string): void => void process.stdout.write(`• ${line}\n`);
  const limit = limitMiB * MiB;
  // Ordinary noise: a service holding 240/1024 of the node all along (a JVM, big all day) and, outside the
  // node cgroup, a process holding 340/1024 of it. updatedb grows to 3/8 of the node over a 421-directory
  // walk of ~40 ms a directory, ~17 s in all; the recorder bursts once memory.available is at half the
  // node, and the hard threshold (10%) is never reached.
  const growTo = Math.round((limit * 3) / 8 / MiB) * MiB;
  const inc = await runIncident(new ExistingCgroup(cgroup), {
    dir, db, limitBytes: limit, burstAt: '50%', hard: '10%', schedule: '*/5 * * * * *',
    tree: { dirs: 20, subdirs: 20, files: 10 },
    walker: { growToBytes: growTo, stepBytes: Math.ceil(growTo / 300 / 4096) * 4096, stepMs: 40 },
    podAppMiB: 64,
    steadyMiB: Math.round((limitMiB * 240) / 1024),
    outsideMiB: Math.round((limitMiB * 340) / 1024),
    log,
  });
  log(`memrec record stopped: database ${db}`);
  // to the millisecond: the noise started just before the recording, and is not part of what happened in it
  const since = `@${(inc.since / 1000).toFixed(3)}`;
  const html = path.join(out, 'incident.html');
  let status = memrec(['events', '--since', since, '--db', db]);
  status ||= memrec(['culprits', '--since', since, '--top', '5', '--db', db]);
  status ||= memrec(['export', '--since', since, '--format', 'html', '--out', html, '--force', '--db', db]);
  if (status !== 0) return status;
  process.stdout.write(
    `\n${verdict(since, db, inc.walkerPid)}\n\n` +
      `The postmortem: ${html}\nThe database:   ${db}  (try: memrec timeline --since ${since} --db ${db})\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`incident: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

// The closing words of the incident example: what memrec's own answer (culprits --format json) says about
// updatedb, so that the script never claims what the table in front of the reader does not show.
import { spawnSync } from 'node:child_process';
import { MEMREC_BIN } from './scenario.js';

const MiB = 1024 * 1024;

interface Ranked {
  rank: number;
  pid: number;
  comm: string;
  owner: string;
  contributionBytes: number;
  explanation: string;
}

/** What memrec's answer says about the process `pid` (updatedb): its rank, what it added, and why. */
export function verdict(since: string, db: string, pid: number): string {
  const r = spawnSync(process.execPath, [MEMREC_BIN, 'culprits', '--since', since, '--top', '50', '--format', 'json', '--db', db], { encoding: 'utf8' });
  if (r.status !== 0) return `memrec culprits --format json failed: ${r.stderr.trim()}`;
  const ranked = (JSON.parse(r.stdout) as { processes: Ranked[] }).processes;
  const u = ranked.find((p) => p.pid === pid);
  if (u === undefined) return `updatedb (pid ${pid}) is not among memrec's culprits: the recording missed it.`;
  const first = ranked[0]!;
  const place = u.rank === 1 ? 'the first culprit' : `culprit #${u.rank}, after ${first.comm} (pid ${first.pid}, ${first.owner})`;
  return `${u.comm} (pid ${pid}) is ${place}: it added ${Math.round(u.contributionBytes / MiB)} MiB while memory.available fell.\nmemrec's explanation: ${u.explanation}`;
}


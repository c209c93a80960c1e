// A recorded database for the report tests, made by the real recorder on the real kernel: a short
// `memrec record` run watching a test node cgroup while the incident replays in it (examples/incident:
// a pod, and a system.slice service whose updatedb grows while its cwd walks the pod's volume), plus a
// real memcg OOM kill during the burst. Every row, event and burst decision is the recorder's own.
import path from 'node:path';
import { runIncident, type IncidentOptions } from '../../examples/incident/scenario.js';
import type { ScenarioCgroup } from '../../examples/incident/cgroup.js';
import { Store } from '../../src/store/store.js';
import type { OomKill } from '../../src/model/types.js';
import { withCgroup } from './cgroup.js';

export interface RecordedDb {
  file: string;
  since: number;
  until: number;
  podUid: string;
  /** namespace/name from /var/log/pods */
  pod: string;
  growerPid: number;
  growerUnit: string;
  /** the pod volume directory the grower's cwd walks */
  volume: string;
  /** the OOM kills stored within [since, until] */
  oomKills: OomKill[];
  /** snapshots stored */
  snapshots: number;
  burstSnapshots: number;
  /** the test node cgroup, e.g. /memrec-test-ab12cd34 */
  nodeCgroup: string;
}

const MiB = 1024 * 1024;

/** An argument a hostile process could carry: the HTML report must show it, never run or load it. */
export const HOSTILE_ARG = '--name=<script>document.title="pwned"</script><img src="http://198.51.100.7/x.png">';

/** Allocates until its 96 MiB memcg limit kills it. */
const HOG = `const keep = []; setInterval(() => { keep.push(Buffer.alloc(${16 * MiB}, 3)); }, 10);`;

/**
 * The incident at test size: a 1 GiB node, bursting below 80% available, updatedb growing to 512 MiB over
 * about 46 directories at 60 ms each (bigger than anything else on a test machine, so it ranks first).
 */
export function testIncidentOptions(dir: string): IncidentOptions {
  return {
    dir,
    db: path.join(dir, 'memrec.db'),
    limitBytes: 1024 * MiB,
    burstAt: '80%',
    hard: '10%',
    schedule: '*/2 * * * * *',
    tree: { dirs: 5, subdirs: 8, files: 3 },
    walker: { growToBytes: 512 * MiB, stepBytes: 32 * MiB, stepMs: 60 },
    podAppMiB: 48,
  };
}

/** A real memcg OOM kill inside the node cgroup, while the recorder bursts; resolves once the recorder logged it. */
async function oomKill(cg: ScenarioCgroup, recorder: { waitFor(re: RegExp, timeoutMs?: number): Promise<string> }): Promise<void> {
  cg.mkdir('oom');
  cg.setLimit(96 * MiB, 'oom');
  const hog = cg.spawnIn('oom', process.execPath, ['-e', HOG]);
  await new Promise<void>((resolve) => hog.on('exit', () => resolve()));
  await recorder.waitFor(new RegExp(`msg="oom kill" pid=${hog.pid} `), 10_000);
}

export async function recordTestDatabase(dir: string): Promise<RecordedDb> {
  return withCgroup(async (cg) => {
    const inc = await runIncident(cg, { ...testIncidentOptions(dir), podArgs: [HOSTILE_ARG], whileBursting: oomKill });
    const s = Store.open(inc.db, { readonly: true });
    try {
      const range = { since: inc.since, until: inc.until };
      const oomKills = s.events(range, ['oom_kill']).flatMap((e) => (e.type === 'oom_kill' ? [e.details] : []));
      return {
        file: inc.db, since: inc.since, until: inc.until, podUid: inc.podUid, pod: inc.pod, growerPid: inc.walkerPid, growerUnit: inc.unit,
        volume: inc.volume, oomKills, snapshots: s.snapshots(range).length, burstSnapshots: s.snapshots(range, { kinds: ['burst'] }).length, nodeCgroup: cg.path,
      };
    } finally {
      s.close();
    }
  });
}

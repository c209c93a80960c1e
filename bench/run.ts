// `npm run bench`: every bench section in turn, or those named by --only. A section is a bench/<name>.ts
// exporting an async function; add yours to `sections`.
// Usage: node dist/bench/run.js [--procs N] [--only collector,store,query,recorder,oom,container,report-memory,soak] [--duration 30m]
// soak runs only when named (--only soak): it takes --duration (default 30 minutes).
import { parseArgs } from 'node:util';
import { benchCollector, formatCollectorBench } from './collector.js';
import { benchOom } from './oom.js';
import { benchContainer, formatContainerBench } from './container.js';
import { benchQuery } from './query.js';
import { benchRecorder, formatRecorderBench } from './recorder.js';
import { benchReportMemory, formatReportMemory } from './report-memory.js';
import { benchSoak, formatSoak, soakSeconds } from './soak.js';
import { benchStore } from './store.js';

interface Section {
  name: string;
  /** what it measures, one line */
  about: string;
  run(o: { procs: number; duration: string | undefined }): Promise<string>;
  /** run only when named by --only */
  onlyWhenNamed?: boolean;
}

const table = (r: Record<string, number | string>): string => Object.entries(r).map(([k, v]) => `  ${k}: ${v}`).join('\n');

const sections: Section[] = [
  { name: 'collector', about: 'CPU of one snapshot vs ps over the same processes; memrec RSS', run: async ({ procs }) => formatCollectorBench(await benchCollector({ procs })) },
  { name: 'store', about: 'database bytes per day, write and retention time', run: async ({ procs }) => table(await benchStore({ processes: procs })) },
  { name: 'query', about: 'query/culprits/timeline latency on a 30-day database', run: async ({ procs }) => table(await benchQuery({ processes: procs })) },
  { name: 'recorder', about: 'recorder CPU, RSS and db bytes/day in permanent burst', run: async ({ procs }) => formatRecorderBench(await benchRecorder({ processes: procs })) },
  { name: 'oom', about: 'CPU to read one global OOM report listing every task, and the stored event size', run: async ({ procs }) => table({ ...benchOom({ tasks: Math.max(1, procs) }) }) },
  { name: 'container', about: "the DaemonSet recorder container's memory charge: the recorder, then with its liveness probe", run: async ({ procs }) => formatContainerBench(await benchContainer({ processes: procs })) },
  {
    name: 'report-memory',
    about: 'peak RSS and time of every report command and format over 1 h, 1 day, 30 days (100 KB command lines)',
    run: async ({ procs }) => formatReportMemory(await benchReportMemory({ processes: procs })),
  },
  {
    name: 'soak',
    about: 'a snapshot a second for --duration (default 30m): RSS and file descriptors flat after warm-up; only with --only soak',
    onlyWhenNamed: true,
    run: async ({ procs, duration }) => formatSoak(await benchSoak({ seconds: soakSeconds(duration), processes: procs, progress: (l) => console.error(`  ${l}`) })),
  },
];

const { values } = parseArgs({ options: { procs: { type: 'string' }, only: { type: 'string' }, duration: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run bench -- [--procs N] [--only NAME,...] [--duration 30m]\n\nSections:\n${sections.map((s) => `  ${s.name.padEnd(10)} ${s.about}`).join('\n')}`);
  process.exit(0);
}
const procs = values.procs === undefined ? 1000 : Number(values.procs);
if (!Number.isInteger(procs) || procs < 0 || procs > 30_000) {
  console.error(`bench: --procs ${JSON.stringify(values.procs)}: expected a whole number from 0 to 30000`);
  process.exit(2);
}
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((n) => !sections.some((s) => s.name === n)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: --only ${unknown.join(',')}: expected some of ${sections.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

let failed = 0;
console.log(`memrec bench, ${new Date().toISOString()}, node ${process.version}`);
for (const s of sections) {
  if (only ? !only.includes(s.name) : s.onlyWhenNamed) continue;
  console.log(`\n## ${s.name}`);
  try {
    console.log(await s.run({ procs, duration: values.duration }));
  } catch (err) {
    failed++;
    console.log(`  failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;

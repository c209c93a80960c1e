// Recorded strings are written by whoever runs a process or names a pod: a hostile one carries ESC
// sequences, BEL, CR, LF, the C1 CSI 0x9b and the bidi override U+202E in every string memrec records (comm,
// cmdline, cwd, exe, cgroup, unit, pod namespace and name, container name, the whole OOM report: invoker,
// memcg, task names, victim; event reasons; a kubelet config path warned about). Every output of every
// command, in every format, must carry none of them raw: text and CSV show them as escapes (cleanText),
// JSON as \uXXXX (the same value once parsed), HTML as escapes too; the recorder's log lines likewise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { fixture } from './helpers/paths.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { runCli } from './helpers/run.js';

/** Characters no output may carry raw (LF is allowed between lines, CR LF at the end of a CSV row). */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** ESC sequence (clear screen), BEL, CR, C1 CSI, RIGHT-TO-LEFT OVERRIDE: no '/', '_', ')' or NUL, so it fits every field. */
const H = '\u001b[2J\u0007\r\u009b31m\u202eevil';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-hostile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const root = path.join(dir, 'node');
const db = path.join(dir, 'memrec.db');
const POD_UID = '5d3c8f2e-7b1a-4c9d-8e6f-0a1b2c3d4e5f';

/** The v1 incident node with updatedb (pid 4120) and the checkout pod (pid 2140) made hostile. */
function hostileNode(): void {
  cpSync(fixture('v1-cgroupfs'), root, { recursive: true, verbatimSymlinks: true });
  const p = (f: string) => path.join(root, 'proc', '4120', f);
  writeFileSync(p('comm'), `up${H}\n`);
  // the comm memrec keeps is stat's, between the first '(' and the last ')'
  writeFileSync(p('stat'), readFileSync(p('stat'), 'utf8').replace(/\(.*\)/, `(up${H})`));
  writeFileSync(p('cmdline'), ['/usr/bin/updatedb.mlocate', `--prunepaths=${H}\nsecond line`, ''].join('\0'));
  unlinkSync(p('cwd'));
  symlinkSync(`/var/lib/kubelet/pods/${POD_UID}/volumes/${H}\nx`, p('cwd'));
  unlinkSync(p('exe'));
  symlinkSync(`/usr/bin/${H}`, p('exe'));
  writeFileSync(p('cgroup'), readFileSync(p('cgroup'), 'utf8').replaceAll('/system.slice/cron.service', `/system.slice/cr${H}on.service`));
  const pods = path.join(root, 'var/log/pods');
  const pod = readdirSync(pods).find((d) => d.endsWith(POD_UID))!;
  renameSync(path.join(pods, pod), path.join(pods, `shop${H}_checkout${H}\nx_${POD_UID}`));
  // the checkout pod's container, named in its containerd bundle
  const cid = /\/pod[^/]+\/([0-9a-f]{64})$/m.exec(readFileSync(path.join(root, 'proc', '2140', 'cgroup'), 'utf8'))![1]!;
  const bundle = path.join(root, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', cid);
  mkdirSync(bundle, { recursive: true });
  const annotations = { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.container-name': `app${H}\nx`, 'io.kubernetes.cri.sandbox-uid': POD_UID };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations }));
  // a kubelet --config that does not exist, at a hostile path: every command warns, naming it
  const kubelet = path.join(root, 'proc', '1187', 'cmdline');
  writeFileSync(kubelet, readFileSync(kubelet, 'utf8') + `--config=/etc/k${H}\nx/config.yaml\0`);
}

/** A kernel log line as /dev/kmsg gives it: bytes below 0x20, from 0x7f up and the backslash as \xNN. */
function kmsgLine(prio: number, seq: number, message: string): string {
  const escaped = [...Buffer.from(message, 'utf8')].map((b) => (b < 0x20 || b >= 0x7f || b === 0x5c ? `\\x${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b))).join('');
  return `${prio},${seq},${486325000 + seq},-;${escaped}\n`;
}

interface Output {
  what: string;
  text: string;
  kind: 'text' | 'csv' | 'json' | 'ndjson' | 'html';
  /** shows a recorded string: the escaped form must be there (so the check is not vacuous) */
  shows: boolean;
}

function check(o: Output): void {
  assert.ok(o.text.length > 0, `${o.what}: some output`);
  const body = o.kind === 'csv' ? o.text.replace(/\r\n/g, '') : o.text;
  const m = RAW.exec(o.kind === 'csv' ? body.replace(/\n/g, '\u0000') : body);
  assert.equal(m, null, `${o.what}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(body.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 20))}`);
  if (o.kind === 'json') assert.doesNotThrow(() => JSON.parse(o.text), o.what);
  if (o.kind === 'ndjson') for (const l of o.text.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(l), o.what);
  if (!o.shows) return;
  if (o.kind === 'json' || o.kind === 'ndjson') {
    assert.ok(o.text.includes('\\u001b[2J\\u0007\\r\\u009b31m\\u202eevil'), `${o.what}: the string, escaped as JSON`);
    const parsed = JSON.stringify(o.kind === 'json' ? JSON.parse(o.text) : o.text.trim().split('\n').map((l) => JSON.parse(l) as unknown));
    assert.ok(parsed.includes(JSON.stringify(H).slice(1, -1)), `${o.what}: the same value once parsed`);
  } else {
    const escaped = '\\x1b[2J\\x07\\r\\x9b31m\\u202eevil';
    // logfmt quotes a value as a JSON string, so its backslashes are doubled
    assert.ok(o.text.includes(escaped) || o.text.includes(JSON.stringify(escaped).slice(1, -1)), `${o.what}: the string, escaped`);
  }
}

/** stderr of every command run, for the warnings that name hostile paths */
const stderrs: string[] = [];

/** `status` exits 1 for a recorder that stopped (as the one here did), with one line saying so. */
function run(args: string[], code = 0): string {
  const r = runCli(args, { timeoutMs: 60_000 });
  assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(RAW.exec(r.stderr), null, `${args[0]} stderr: ${JSON.stringify(r.stderr)}`);
  stderrs.push(r.stderr);
  return r.stdout;
}

test('hostile text in every recorded string reaches no output raw, in any command or format', async () => {
  hostileNode();
  const cfg = path.join(dir, 'empty.yaml');
  writeFileSync(cfg, '');
  // a whole OOM report of hostile names in the kernel log the recorder reads, escaped as the kernel escapes
  // them: the invoker, the memcg, the task table's names, the victim (the two kill lines of raw bytes too)
  const kmsg = path.join(dir, 'kmsg');
  const report = [
    `in${H} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0`,
    `CPU: 1 UID: 0 PID: 9020 Comm: in${H} Not tainted 6.18.44 #1 PREEMPT(none)`,
    'memory: usage 32768kB, limit 32768kB, failcnt 115',
    `Memory cgroup stats for /x${H}:`,
    'rss 33320960',
    'Tasks state (memory values in pages):',
    '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name',
    `[   9019]     0  9019    10566     9779     8128     1651         0   131072        0             0 py${H}`,
    `[   9020]     0  9020    20566    19779    18128     1651         0   131072        0             0 in${H}`,
  ].map((m, i) => kmsgLine(6, 400 + i, m));
  writeFileSync(
    kmsg,
    report.join('') +
      `6,425,486325294,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/x${H},task_memcg=/x${H},task=py${H},pid=9019,uid=0\n` +
      `3,426,486325307,-;Memory cgroup out of memory: Killed process 9019 (py${H}) total-vm:42264kB, anon-rss:32512kB, file-rss:6604kB, shmem-rss:0kB, UID:0 pgtables:128kB oom_score_adj:0\n`,
  );
  const textfiles = path.join(dir, 'textfile');
  mkdirSync(textfiles);
  const rec = new RecorderProcess(['--db', db, '--config', cfg, '--host-root', root, '--kmsg', kmsg, '--schedule', '* * * * * *', '--textfile-dir', textfiles]);
  try {
    await rec.waitFor(/msg="oom kill"/);
    await until('three snapshots', () => withStore(db, (s) => (s.snapshots({ since: 0, until: Number.MAX_SAFE_INTEGER }).length >= 3 ? true : undefined)));
  } finally {
    await rec.stop();
  }
  const outputs: Output[] = [{ what: 'record log', text: rec.out, kind: 'text', shows: true }];
  for (const f of readdirSync(textfiles)) outputs.push({ what: `textfile ${f}`, text: readFileSync(path.join(textfiles, f), 'utf8'), kind: 'text', shows: false });

  // events whose reasons are hostile too
  const s = Store.open(db);
  const now = Date.now();
  s.writeEvent({ type: 'burst_start', at: now - 3000, details: { reason: `reason ${H}\nx`, values: {} } });
  s.writeEvent({ type: 'burst_end', at: now - 2000, details: { reason: `end ${H}`, durationMs: 1000, snapshots: 1, values: {} } });
  s.writeEvent({ type: 'snapshot_failed', at: now - 1500, details: { error: `failed ${H}` } });
  s.writeEvent({ type: 'recorder_stop', at: now - 1000, details: { reason: `stop ${H}`, snapshots: 1, failures: 0 } });
  s.close();

  const since = ['--since', '3650d', '--db', db];
  for (const f of ['table', 'json', 'ndjson', 'csv'] as const) {
    const k = f === 'table' ? 'text' : f;
    outputs.push({ what: `query ${f}`, text: run(['query', ...since, '--format', f]), kind: k, shows: true });
    outputs.push({ what: `culprits ${f}`, text: run(['culprits', ...since, '--format', f]), kind: k, shows: true });
    outputs.push({ what: `events ${f}`, text: run(['events', ...since, '--format', f]), kind: k, shows: true });
  }
  for (const f of ['chart', 'csv', 'json'] as const) outputs.push({ what: `timeline ${f}`, text: run(['timeline', ...since, '--format', f]), kind: f === 'chart' ? 'text' : f, shows: false });
  outputs.push({ what: 'status', text: run(['status', '--db', db], 1), kind: 'text', shows: false });
  outputs.push({ what: 'status json', text: run(['status', '--db', db, '--json'], 1), kind: 'json', shows: false });
  outputs.push({ what: 'snapshot', text: run(['snapshot', '--no-store', '--host-root', root, '--top', '50']), kind: 'text', shows: true });
  outputs.push({ what: 'snapshot json', text: run(['snapshot', '--no-store', '--host-root', root, '--json']), kind: 'json', shows: true });
  outputs.push({ what: 'memory', text: run(['memory', '--host-root', root]), kind: 'text', shows: false });
  outputs.push({ what: 'memory json', text: run(['memory', '--host-root', root, '--json']), kind: 'json', shows: false });
  for (const f of ['html', 'json', 'ndjson', 'csv'] as const) {
    const out = path.join(dir, `export.${f}`);
    run(['export', ...since, '--out', out]);
    outputs.push({ what: `export ${f}`, text: readFileSync(out, 'utf8'), kind: f, shows: true });
  }
  for (const o of outputs) check(o);
  // the kubelet's hostile --config path was warned about, escaped
  check({ what: 'warnings', text: stderrs.join(''), kind: 'text', shows: true });
  assert.match(stderrs.join(''), /kubelet config \/etc\/k\\x1b/);
  // every hostile name of the OOM report is stored whole (JSON keeps the values)
  const oom = (JSON.parse(run(['events', ...since, '--type', 'oom_kill', '--format', 'json'])) as Array<{ details: Record<string, unknown> & { invoker: { comm: string }; tasks: Array<{ comm: string }>; memcgStatsPath: string } }>)[0]!.details;
  assert.deepEqual([oom.invoker.comm, oom.memcgStatsPath, oom.tasks.map((x) => x.comm).sort()], [`in${H}`, `/x${H}`, [`in${H}`, `py${H}`]]);

  // and they were hostile where they were recorded: the snapshot's JSON holds each field raw once parsed
  const snap = JSON.parse(run(['snapshot', '--no-store', '--host-root', root, '--json', '--top', '100'])) as { processes: Array<Record<string, unknown> & { owner: Record<string, unknown> }> };
  const upd = snap.processes.find((p) => p['pid'] === 4120)!;
  for (const field of ['comm', 'cmdline', 'cwd', 'exe', 'cgroup', 'unit']) assert.ok(String(upd[field]).includes(H), `${field} recorded as it was`);
  const pod = snap.processes.find((p) => p['pid'] === 2140)!;
  assert.ok(String(pod.owner['namespace']).includes(H) && String(pod.owner['podName']).includes(H), 'pod namespace and name recorded as they were');
  assert.ok(String(pod.owner['container']).includes(H), 'container name recorded as it was');
});

test('cleanText and safeJson: each class of unsafe character, and nothing else touched', async () => {
  const { cleanText, safeJson } = await import('../src/model/text.js');
  const cases: Array<[string, string]> = [
    ['\u001b[31m', '\\x1b[31m'],
    ['a\nb\tc\rd', 'a\\nb\\tc\\rd'],
    ['\u0000\u0007\u007f', '\\x00\\x07\\x7f'],
    ['\u0085\u009b\u009f', '\\x85\\x9b\\x9f'],
    ['\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
    ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['\u200e\u200f\u061c\u2028\u2029', '\\u200e\\u200f\\u061c\\u2028\\u2029'],
    ['/var/lib/kubelet/pods/ü/日本語 ✖ é', '/var/lib/kubelet/pods/ü/日本語 ✖ é'],
  ];
  for (const [raw, shown] of cases) {
    assert.equal(cleanText(raw), shown);
    assert.equal(RAW.exec(safeJson({ raw }).replace(/\n/g, '')), null);
    assert.deepEqual(JSON.parse(safeJson({ raw }, 2)), { raw }, 'lossless');
  }
});

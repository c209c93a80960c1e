import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../src/errors.js';
import { parseBootTime, parseCgroupFile, parseOomScoreAdj, parseStat, parseStatus, splitCmdline } from '../src/sources/proc-parse.js';

// A real stat line from this machine (kernel 6.18), then edited copies.
const CAT = '5509 (cat) R 5506 5506 3149 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 34899 3133440 393 18446744073709551615 94673177059328 94673177079209 140730286489408 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94673177095216 94673177096832 94673583624192 140730286492385 140730286492405 140730286492405 140730286493675 0\n';

test('parseStat: the fields memrec keeps', () => {
  assert.deepEqual(parseStat(CAT), {
    pid: 5509,
    comm: 'cat',
    state: 'R',
    ppid: 5506,
    flags: 4194304,
    utimeTicks: 7,
    stimeTicks: 3,
    numThreads: 1,
    startTimeTicks: 34899,
    vsizeBytes: 3133440,
    rssPages: 393,
  });
});

test('parseStat: comm with spaces and parentheses is cut at the last ")"', () => {
  const s = parseStat(CAT.replace('(cat)', '((sd-pam) x)'));
  assert.equal(s.comm, '(sd-pam) x');
  assert.equal(s.ppid, 5506);
  assert.equal(s.rssPages, 393);
  assert.equal(parseStat(CAT.replace('(cat)', '(a b) R 1 2 3)')).comm, 'a b) R 1 2 3');
  assert.equal(parseStat(CAT.replace('(cat)', '()')).comm, '');
});

test('parseStat: truncated or garbage input throws a ParseError naming the file and field', () => {
  const truncated = CAT.slice(0, 60);
  assert.throws(() => parseStat(truncated, '/proc/5509/stat'), (e: unknown) => e instanceof ParseError && /\/proc\/5509\/stat: truncated: no /.test(e.message));
  assert.throws(() => parseStat('', 'f'), ParseError);
  assert.throws(() => parseStat('garbage', 'f'), ParseError);
  assert.throws(() => parseStat('x (cat) R 1', 'f'), /pid is not a number/);
  assert.throws(() => parseStat(CAT.replace(' 393 ', ' -x- '), 'f'), /rss is not a number/);
});

const STATUS = `Name:\tjava
Umask:\t0022
State:\tS (sleeping)
Tgid:\t2301
Pid:\t2301
PPid:\t1
Uid:\t1000\t1000\t1000\t1000
Gid:\t1000\t1000\t1000\t1000
VmHWM:\t  512000 kB
VmRSS:\t  204800 kB
RssAnon:\t  200000 kB
RssFile:\t    4700 kB
RssShmem:\t     100 kB
VmSwap:\t    1024 kB
Threads:\t12
`;

test('parseStatus: uid and memory lines in bytes; absent lines are null', () => {
  assert.deepEqual(parseStatus(STATUS), {
    uid: 1000,
    vmRssBytes: 204800 * 1024,
    vmHwmBytes: 512000 * 1024,
    rssAnonBytes: 200000 * 1024,
    rssFileBytes: 4700 * 1024,
    rssShmemBytes: 100 * 1024,
    swapBytes: 1024 * 1024,
    kthread: null,
  });
  // A kernel thread: no Vm* lines; newer kernels say Kthread.
  assert.deepEqual(parseStatus('Name:\tkthreadd\nUid:\t0\t0\t0\t0\nKthread:\t1\n'), {
    uid: 0,
    vmRssBytes: null,
    vmHwmBytes: null,
    rssAnonBytes: null,
    rssFileBytes: null,
    rssShmemBytes: null,
    swapBytes: null,
    kthread: true,
  });
  assert.throws(() => parseStatus('Uid:\tx\n', '/proc/9/status'), /\/proc\/9\/status: expected "Uid/);
  assert.throws(() => parseStatus('VmRSS:\t12 MB\n', 'f'), /expected "<n> kB"/);
  assert.throws(() => parseStatus('VmHWM:\t12\n', '/proc/9/status'), /\/proc\/9\/status: expected "<n> kB".*VmHWM/);
});

const V1 = `12:memory:/kubepods/burstable/pod0f1e/abc
11:hugetlb:/
10:cpu,cpuacct:/kubepods/burstable/pod0f1e/abc
1:name=systemd:/kubepods/burstable/pod0f1e/abc
`;

test('parseCgroupFile: v1, v2 and hybrid', () => {
  assert.deepEqual(parseCgroupFile(V1), { memory: '/kubepods/burstable/pod0f1e/abc', systemd: '/kubepods/burstable/pod0f1e/abc' });
  assert.deepEqual(parseCgroupFile('0::/system.slice/cron.service\n'), { memory: '/system.slice/cron.service', systemd: '/system.slice/cron.service' });
  // hybrid: v1 memory line wins for memory, name=systemd for the unit, the 0:: line is the unified view
  assert.deepEqual(parseCgroupFile('4:memory:/process_api/f3\n9:name=systemd:/\n0::/\n'), { memory: '/process_api/f3', systemd: '/' });
  assert.deepEqual(parseCgroupFile('5:memory,cpu:/a\n0::/b\n'), { memory: '/a', systemd: '/b' });
  // a path containing ':' (runc's slice:prefix:name form) stays whole
  assert.deepEqual(parseCgroupFile('0::/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:abc\n'), {
    memory: '/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:abc',
    systemd: '/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:abc',
  });
  // no memory controller anywhere (v1 without it): memory unknown
  assert.deepEqual(parseCgroupFile('1:name=systemd:/init.scope\n'), { memory: null, systemd: '/init.scope' });
});

test('parseCgroupFile: garbage lines are skipped beside a usable line, fatal alone', () => {
  assert.deepEqual(parseCgroupFile('garbage\n12:memory:/x\nnot:a line\n'), { memory: '/x', systemd: null });
  assert.throws(() => parseCgroupFile('garbage\n\x00\x01\n', '/proc/7/cgroup'), (e: unknown) => e instanceof ParseError && e.message.startsWith('/proc/7/cgroup: expected') && e.message.includes('"garbage"'));
  assert.throws(() => parseCgroupFile('12:memory:relative\n'), ParseError);
  assert.deepEqual(parseCgroupFile(''), { memory: null, systemd: null });
});

test('splitCmdline: NUL-separated, trailing NUL optional, rewritten titles kept whole', () => {
  assert.deepEqual(splitCmdline('sleep\x00600\x00'), ['sleep', '600']);
  assert.deepEqual(splitCmdline('sleep\x00600'), ['sleep', '600']);
  assert.deepEqual(splitCmdline('a\x00\x00b\x00'), ['a', '', 'b']);
  assert.deepEqual(splitCmdline('postgres: checkpointer   '), ['postgres: checkpointer   ']);
  assert.deepEqual(splitCmdline(''), []);
});

test('parseOomScoreAdj and parseBootTime', () => {
  assert.equal(parseOomScoreAdj('-998\n'), -998);
  assert.equal(parseOomScoreAdj('0'), 0);
  assert.throws(() => parseOomScoreAdj('x', '/proc/1/oom_score_adj'), /\/proc\/1\/oom_score_adj: expected an integer/);
  assert.equal(parseBootTime('cpu  1 2 3\nbtime 1700000000\nprocesses 5\n'), 1700000000);
  assert.throws(() => parseBootTime('cpu 1\n', '/proc/stat'), /\/proc\/stat: no "btime/);
});

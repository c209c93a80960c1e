import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attribute, FLAG_CWD_IN_POD_VOLUME, ownerKey, ownerLabel, processFlags, unitOf } from '../src/model/attribution.js';
import type { Owner } from '../src/model/types.js';

const UID = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const UID_ = UID.replace(/-/g, '_');
const STATIC = '6c1e8d4f0b2a49e7a3d5c8b1f0e2d4a6';
const CID = '3f1c9a7b2e4d6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a';

function pod(qos: string, containerId: string | null, runtime: string | null, cgroup: string, podUid = UID): Owner {
  return { kind: 'pod', podUid, qos, containerId, runtime, namespace: null, podName: null, container: null, containerType: null, cgroup } as Owner;
}

const SD_BURSTABLE = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`;

// [memory cgroup, systemd cgroup, kernel thread, expected owner] — shapes from DESIGN.md and real nodes.
const cases: Array<[string | null, string | null, boolean, Owner]> = [
  // cgroupfs driver
  [`/kubepods/burstable/pod${UID}/${CID}`, '/', false, pod('burstable', CID, 'unknown', `/kubepods/burstable/pod${UID}`)],
  [`/kubepods/besteffort/pod${UID}/${CID}`, null, false, pod('besteffort', CID, 'unknown', `/kubepods/besteffort/pod${UID}`)],
  [`/kubepods/pod${UID}/${CID}`, null, false, pod('guaranteed', CID, 'unknown', `/kubepods/pod${UID}`)],
  [`/kubepods/burstable/pod${UID}/crio-${CID}`, null, false, pod('burstable', CID, 'crio', `/kubepods/burstable/pod${UID}`)],
  [`/kubepods/burstable/pod${UID}/crio-conmon-${CID}`, null, false, pod('burstable', CID, 'crio-conmon', `/kubepods/burstable/pod${UID}`)],
  [`/kubepods/burstable/pod${UID}`, null, false, pod('burstable', null, null, `/kubepods/burstable/pod${UID}`)],
  [`/kubepods/burstable/pod${STATIC}/${CID}`, null, false, pod('burstable', CID, 'unknown', `/kubepods/burstable/pod${STATIC}`, STATIC)],
  // nested: a kind node or a node inside a container prefixes everything
  [`/docker/${CID}/kubepods/burstable/pod${UID}/${CID}`, null, false, pod('burstable', CID, 'unknown', `/docker/${CID}/kubepods/burstable/pod${UID}`)],
  [`/kubelet/kubepods/besteffort/pod${UID}/${CID}`, null, false, pod('besteffort', CID, 'unknown', `/kubelet/kubepods/besteffort/pod${UID}`)],
  [`/memrec-test-ab12/kubepods/burstable/pod${UID}/${CID}`, '/', false, pod('burstable', CID, 'unknown', `/memrec-test-ab12/kubepods/burstable/pod${UID}`)],
  // systemd driver
  [`${SD_BURSTABLE}/cri-containerd-${CID}.scope`, null, false, pod('burstable', CID, 'containerd', SD_BURSTABLE)],
  [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${CID}.scope`, null, false, pod('besteffort', CID, 'crio', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice`)],
  [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-conmon-${CID}.scope`, null, false, pod('besteffort', CID, 'crio-conmon', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice`)],
  [`/kubepods.slice/kubepods-pod${UID_}.slice/docker-${CID}.scope`, null, false, pod('guaranteed', CID, 'docker', `/kubepods.slice/kubepods-pod${UID_}.slice`)],
  [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${STATIC}.slice/cri-containerd-${CID}.scope`, null, false, pod('burstable', CID, 'containerd', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${STATIC}.slice`, STATIC)],
  [`${SD_BURSTABLE}/cri-containerd-${CID}.scope/init.scope`, null, false, pod('burstable', CID, 'containerd', SD_BURSTABLE)],
  [`/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod${UID_}.slice/cri-containerd-${CID}.scope`, null, false, pod('burstable', CID, 'containerd', `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod${UID_}.slice`)],
  [`/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${CID}`, null, false, pod('burstable', CID, 'containerd', `/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice`)],
  // v1 with the pod only in the systemd hierarchy (memory accounting elsewhere)
  ['/', `${SD_BURSTABLE}/cri-containerd-${CID}.scope`, false, pod('burstable', CID, 'containerd', SD_BURSTABLE)],
  // host owners
  ['/system.slice/cron.service', '/system.slice/cron.service', false, { kind: 'service', unit: 'cron.service', cgroup: '/system.slice/cron.service' }],
  ['/', '/system.slice/mlocate.service', false, { kind: 'service', unit: 'mlocate.service', cgroup: '/system.slice/mlocate.service' }],
  ['/system.slice', '/system.slice/mlocate.service', false, { kind: 'service', unit: 'mlocate.service', cgroup: '/system.slice/mlocate.service' }],
  ['/init.scope', '/init.scope', false, { kind: 'service', unit: 'init.scope', cgroup: '/init.scope' }],
  [`/system.slice/docker-${CID}.scope`, null, false, { kind: 'service', unit: `docker-${CID}.scope`, cgroup: `/system.slice/docker-${CID}.scope` }],
  [`/system.slice/docker-${CID}.scope/system.slice/kubelet.service`, null, false, { kind: 'service', unit: 'kubelet.service', cgroup: `/system.slice/docker-${CID}.scope/system.slice/kubelet.service` }],
  ['/memrec-test-ab12/system.slice/stress.service', '/', false, { kind: 'service', unit: 'stress.service', cgroup: '/memrec-test-ab12/system.slice/stress.service' }],
  ['/user.slice/user-1000.slice/session-3.scope', null, false, { kind: 'user', unit: 'session-3.scope', userUid: 1000, session: 'session-3.scope', cgroup: '/user.slice/user-1000.slice/session-3.scope' }],
  ['/user.slice', '/user.slice/user-1000.slice/session-3.scope', false, { kind: 'user', unit: 'session-3.scope', userUid: 1000, session: 'session-3.scope', cgroup: '/user.slice/user-1000.slice/session-3.scope' }],
  ['/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope', null, false, { kind: 'user', unit: 'user@1000.service', userUid: 1000, session: null, cgroup: '/user.slice/user-1000.slice/user@1000.service' }],
  ['/user.slice', '/user.slice/user-1001.slice/user@1001.service/init.scope', false, { kind: 'user', unit: 'user@1001.service', userUid: 1001, session: null, cgroup: '/user.slice/user-1001.slice/user@1001.service' }],
  ['/user.slice/user-1000.slice', null, false, { kind: 'user', unit: 'user-1000.slice', userUid: 1000, session: null, cgroup: '/user.slice/user-1000.slice' }],
  // kernel and other
  ['/', '/', true, { kind: 'kernel' }],
  [null, null, true, { kind: 'kernel' }],
  ['/', '/', false, { kind: 'other', cgroup: '/' }],
  ['/process_api/f32eb737', '/', false, { kind: 'other', cgroup: '/process_api/f32eb737' }],
  ['/kubepods.slice/kubepods-burstable.slice', null, false, { kind: 'other', cgroup: '/kubepods.slice/kubepods-burstable.slice' }],
  ['/kubepods/burstable', null, false, { kind: 'other', cgroup: '/kubepods/burstable' }],
  [null, null, false, { kind: 'other', cgroup: null }],
  // look-alikes that are not pods: a pod segment outside kubepods, a malformed uid
  [`/system.slice/pod${UID}.service`, null, false, { kind: 'service', unit: `pod${UID}.service`, cgroup: `/system.slice/pod${UID}.service` }],
  [`/other/pod${UID}/${CID}`, null, false, { kind: 'other', cgroup: `/other/pod${UID}/${CID}` }],
  ['/kubepods/burstable/podnot-a-uid/x', null, false, { kind: 'other', cgroup: '/kubepods/burstable/podnot-a-uid/x' }],
];

test('attribute: every cgroup shape gets its owner', () => {
  for (const [mem, sd, kthread, expected] of cases) {
    assert.deepEqual(attribute(mem, sd, kthread), expected, `${mem} | ${sd}`);
  }
});

test('ownerKey: one key per pod whatever the container; distinct kinds never collide', () => {
  const a = attribute(`/kubepods/burstable/pod${UID}/${CID}`, null, false);
  const b = attribute(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${'a'.repeat(64)}.scope`, null, false);
  assert.equal(ownerKey(a), `pod:${UID}`);
  assert.equal(ownerKey(a), ownerKey(b));
  // units by their cgroup: the same unit name under two parents is two owners
  const host = attribute('/system.slice/plocate-updatedb.service', null, false);
  const nested = attribute('/memrec-incident-1/system.slice/plocate-updatedb.service', null, false);
  assert.equal(ownerKey(host), 'service:/system.slice/plocate-updatedb.service');
  assert.equal(ownerKey(nested), 'service:/memrec-incident-1/system.slice/plocate-updatedb.service');
  assert.equal(ownerKey(attribute('/user.slice/user-1000.slice/session-3.scope', null, false)), 'user:/user.slice/user-1000.slice/session-3.scope');
  // owners stored before the cgroup was kept read back with the keys they were stored with
  assert.equal(ownerKey({ kind: 'service', unit: 'cron.service', cgroup: null }), 'service:cron.service');
  assert.equal(ownerKey({ kind: 'user', unit: 'session-3.scope', userUid: 1000, session: 'session-3.scope', cgroup: null }), 'user:session-3.scope');
  assert.equal(ownerKey({ kind: 'kernel' }), 'kernel');
  assert.equal(ownerKey({ kind: 'other', cgroup: '/' }), 'other:/');
  assert.notEqual(ownerKey({ kind: 'other', cgroup: null }), ownerKey({ kind: 'other', cgroup: '/' }));
});

test('ownerLabel: what a human reads', () => {
  assert.equal(ownerLabel({ ...pod('burstable', CID, 'containerd', SD_BURSTABLE), namespace: 'default', podName: 'web-7d9' } as Owner), 'pod default/web-7d9 (burstable)');
  assert.equal(ownerLabel(pod('guaranteed', null, null, `/kubepods/pod${UID}`)), `pod ${UID} (guaranteed)`);
  // the container's name from the runtime's config, and the pause container as such
  const named = { ...pod('burstable', CID, 'containerd', SD_BURSTABLE), namespace: 'shop', podName: 'checkout-7d9f8b6c5-x2x9k' } as Owner;
  assert.equal(ownerLabel({ ...named, container: 'checkout', containerType: 'container' } as Owner), 'pod shop/checkout-7d9f8b6c5-x2x9k (burstable), container checkout');
  assert.equal(ownerLabel({ ...named, containerType: 'sandbox' } as Owner), 'pod shop/checkout-7d9f8b6c5-x2x9k (burstable), sandbox');
  assert.equal(ownerLabel({ ...pod('burstable', CID, 'crio', SD_BURSTABLE), container: 'web', containerType: 'container' } as Owner), `pod ${UID} (burstable), container web`);
  assert.equal(ownerLabel({ kind: 'service', unit: 'cron.service', cgroup: '/system.slice/cron.service' }), 'service cron.service');
  assert.equal(ownerLabel({ kind: 'user', unit: 'session-3.scope', userUid: 1000, session: 'session-3.scope', cgroup: null }), 'user session-3.scope (uid 1000)');
  assert.equal(ownerLabel({ kind: 'kernel' }), 'kernel');
  assert.equal(ownerLabel({ kind: 'other', cgroup: '/' }), 'other /');
});

test('unitOf: the deepest unit, none for slices and the root', () => {
  assert.equal(unitOf('/system.slice/cron.service'), 'cron.service');
  assert.equal(unitOf('/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope'), 'x.scope');
  assert.equal(unitOf('/system.slice'), null);
  assert.equal(unitOf('/'), null);
  assert.equal(unitOf(null), null);
});

test('a cwd in a pod volume is flagged only when the cgroup is outside kubepods; attribution stays by cgroup', () => {
  const cwd = `/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~cephfs/data/archive`;
  const updatedb = attribute('/', '/system.slice/mlocate.service', false);
  assert.equal(updatedb.kind, 'service');
  assert.deepEqual(processFlags(updatedb, cwd), [FLAG_CWD_IN_POD_VOLUME]);
  assert.deepEqual(processFlags(attribute(`/kubepods/burstable/pod${UID}/${CID}`, null, false), cwd), []);
  assert.deepEqual(processFlags(updatedb, '/var/lib/mlocate'), []);
  assert.deepEqual(processFlags(updatedb, null), []);
  assert.deepEqual(processFlags(updatedb, '/var/lib/kubelet/pods'), []);
});
